/**
 * When a failed webhook delivery is tried again: exponential backoff, as Stripe does. The first
 * retry waits `firstRetrySeconds`, each later one twice as long as the one before, never more
 * than `maxRetryDelaySeconds`; no attempt is made later than `giveUpAfterSeconds` after the first.
 */
export interface RetryPolicy {
  firstRetrySeconds: number;
  maxRetryDelaySeconds: number;
  giveUpAfterSeconds: number;
}

/** The wait after failed attempt number `attempt` (1 for the first attempt), in seconds. */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a whole number from 1, got ${attempt}`);
  // 2 ** 60 overflows nothing that matters: the cap applies long before.
  const doubled = policy.firstRetrySeconds * 2 ** Math.min(attempt - 1, 60);
  return Math.min(doubled, policy.maxRetryDelaySeconds);
}

/**
 * The time (ms) of the attempt after failed attempt `attempt`, which ended at `nowMs`; undefined
 * when that would be later than `giveUpAfterSeconds` after the first attempt (`firstAttemptAtMs`):
 * the delivery is given up.
 */
export function nextAttemptAt(policy: RetryPolicy, attempt: number, firstAttemptAtMs: number, nowMs: number): number | undefined {
  const next = nowMs + retryDelaySeconds(policy, attempt) * 1000;
  return next <= firstAttemptAtMs + policy.giveUpAfterSeconds * 1000 ? next : undefined;
}

/** SQS holds a message back for at most 15 minutes; longer waits are served in several hops. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** The DelaySeconds of a message due at `dueAtMs` (0..900): whole seconds, rounded up so it is never early. */
export function queueDelaySeconds(dueAtMs: number, nowMs: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((dueAtMs - nowMs) / 1000)));
}
