/**
 * Waiting between attempts, in one place: every retry loop in Meterline waits `backoffMs(policy,
 * attempt)` (exponential from the policy's base; with jitter, a random part of it, so racing
 * writers spread out) and sleeps with `sleep`.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BackoffPolicy {
  /** The wait before the first retry (attempt 1); each later one doubles. */
  readonly baseMs: number;
  /** A uniformly random part of the wait ("full jitter"), for writers racing on the same items. */
  readonly jitter?: boolean;
}

/** The named policies of Meterline's retry loops. */
export const BACKOFF = {
  /** DynamoDB keys or items a batch call left unprocessed (throttling): read or write them again. */
  unprocessed: { baseMs: 20 },
  /** Meter event claims that hit a passing error (not a duplicate). */
  claims: { baseMs: 40 },
  /** A usage chunk whose transaction conflicted with another consumer's. */
  chunkConflict: { baseMs: 20, jitter: true },
  /** A usage rollup transaction that conflicted with another rollup's (the same meter's hour or day). */
  rollupConflict: { baseMs: 25, jitter: true },
  /** SQS messages a SendMessageBatch refused. */
  queueSend: { baseMs: 25 },
} as const satisfies Record<string, BackoffPolicy>;

/** The wait before `attempt` (1 for the first retry): `baseMs * 2^(attempt-1)`, jittered if the policy says so. */
export function backoffMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const full = policy.baseMs * 2 ** Math.max(0, attempt - 1);
  return policy.jitter ? full * random() : full;
}
