import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_DELAY_SECONDS, nextAttemptAt, queueDelaySeconds, retryDelaySeconds, type RetryPolicy } from '../../lib/domain/webhook-retry';
import { webhookDelivery } from '../../lib/store/resources';

const policy: RetryPolicy = {
  firstRetrySeconds: webhookDelivery.firstRetrySeconds,
  maxRetryDelaySeconds: webhookDelivery.maxRetryDelaySeconds,
  giveUpAfterSeconds: webhookDelivery.giveUpAfterSeconds,
};
const T0 = Date.UTC(2026, 10, 21);

/** Every attempt time of a delivery that always fails, each attempt taking `tookMs`, the first at T0. */
function schedule(p: RetryPolicy, tookMs = 0): number[] {
  const times = [T0];
  for (;;) {
    const next = nextAttemptAt(p, times.length, T0, times.at(-1)! + tookMs);
    if (next === undefined) return times;
    times.push(next);
  }
}

describe('webhook retry schedule', () => {
  it('retries the first failure within a minute', () => {
    expect(retryDelaySeconds(policy, 1)).toBe(30);
    expect(retryDelaySeconds(policy, 1)).toBeLessThanOrEqual(60);
    expect(nextAttemptAt(policy, 1, T0, T0)).toBe(T0 + 30_000);
  });

  it('doubles each wait until the 6 h cap, then stays there', () => {
    const delays = Array.from({ length: 14 }, (_, i) => retryDelaySeconds(policy, i + 1));
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600, 21600, 21600]);
    expect(retryDelaySeconds(policy, 1000)).toBe(21600);
  });

  it('gives up after 3 days, never scheduling an attempt past the limit', () => {
    const times = schedule(policy);
    const limit = T0 + 3 * 86_400_000;
    expect(times.at(-1)!).toBeLessThanOrEqual(limit);
    // The next wait would have gone past the limit.
    expect(times.at(-1)! + retryDelaySeconds(policy, times.length) * 1000).toBeGreaterThan(limit);
    expect(nextAttemptAt(policy, times.length, T0, times.at(-1)!)).toBeUndefined();
    expect(times.length).toBe(21);
  });

  it('never schedules past the limit, whatever the policy and however long attempts take', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 60, max: 86_400 }),
        fc.integer({ min: 3600, max: 7 * 86_400 }),
        fc.integer({ min: 0, max: 30_000 }),
        (first, cap, giveUp, took) => {
          const p = { firstRetrySeconds: first, maxRetryDelaySeconds: cap, giveUpAfterSeconds: giveUp };
          const times = schedule(p, took);
          for (let i = 1; i < times.length; i++) {
            expect(times[i]!).toBeLessThanOrEqual(T0 + giveUp * 1000);
            const wait = (times[i]! - times[i - 1]! - took) / 1000;
            expect(wait).toBe(Math.min(first * 2 ** (i - 1), cap));
          }
        },
      ),
    );
  });

  it('rejects attempt numbers below 1', () => {
    expect(() => retryDelaySeconds(policy, 0)).toThrow(RangeError);
  });

  it('splits long waits into SQS delays of at most 15 minutes, rounded up', () => {
    expect(queueDelaySeconds(T0 + 1500, T0)).toBe(2);
    expect(queueDelaySeconds(T0 - 5000, T0)).toBe(0);
    expect(queueDelaySeconds(T0 + 6 * 3600_000, T0)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});
