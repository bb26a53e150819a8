/**
 * The billing cycle's entry points, as the scheduler and worker functions call them
 * (implemented by queue-due-subscriptions.ts, advance-subscription.ts and the billing store).
 */
export interface BillingCycle {
  /**
   * Puts one job per subscription with work due at or before `now` on the billing-jobs queue;
   * stops between pages once `outOfTime()` says so (what is left is still due for the next run).
   */
  queueDueSubscriptions(now: number, outOfTime?: () => boolean): Promise<{ queued: number; complete: boolean }>;
  /** Closes every period of the subscription that ended by `now` and finalizes drafts whose grace has passed, in time order. Safe to retry and to run concurrently. */
  advanceSubscription(subscriptionId: string, now: number): Promise<void>;
  /**
   * After a failed job: moves the subscription's due time back by a backoff that doubles with
   * each failure (1 min up to 1 day), so the scheduler does not queue a job that keeps failing
   * every run. The next successful step clears it.
   */
  deferSubscription(subscriptionId: string, now: number): Promise<void>;
}
