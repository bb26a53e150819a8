/** Helpers for bounded parallel work (no I/O of their own). */

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * Runs `attempt` until it commits, at most `times` times. An attempt answers undefined when its
 * conditional write lost a race (the next one reads again and plans again); after the last,
 * `exhausted()` is thrown.
 */
export async function retryLostRaces<T>(times: number, attempt: () => Promise<T | undefined>, exhausted: () => Error): Promise<T> {
  for (let i = 0; i < times; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw exhausted();
}
