/**
 * The billing cycle's entry points, as the scheduler and worker functions call them
 * (implemented by queue-due-work.ts, advance-subscription.ts, expire-due-grant.ts and the billing store).
 */
export interface BillingCycle {
  /**
   * Puts one job per object with work due at or before `now` (subscriptions, expiring credit
   * grants) on the billing-jobs queue; stops between pages once `outOfTime()` says so (what is
   * left is still due for the next run).
   */
  queueDueWork(now: number, outOfTime?: () => boolean): Promise<{ queued: number; complete: boolean }>;
  /** Closes every period of the subscription that ended by `now` and finalizes drafts whose grace has passed, in time order. Safe to retry and to run concurrently. */
  advanceSubscription(subscriptionId: string, now: number): Promise<void>;
  /** Does the work due by `now` of a subscription or a credit grant (by the id's prefix). Safe to retry and to run concurrently. */
  advanceDue(id: string, now: number): Promise<void>;
  /**
   * After a failed job: moves the object's due time back by a backoff that doubles with each
   * failure (1 min up to 1 day), so the scheduler does not queue a job that keeps failing every
   * run. The next successful step clears it.
   */
  deferDue(id: string, now: number): Promise<void>;
}
