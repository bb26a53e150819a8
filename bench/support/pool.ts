import { forEachLimited } from '../../lib/domain/concurrency';

/**
 * Runs `task(i)` for i in [0, count) with at most `limit` in flight; after the first error no
 * further task starts, and once those in flight have settled it rejects with that error.
 */
export async function runPool(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let failure: unknown;
  const indices = Array.from({ length: Math.ceil(count) }, (_, i) => i);
  await forEachLimited(indices, limit, async (index) => {
    if (failure !== undefined) return;
    try {
      await task(index);
    } catch (error) {
      failure ??= error;
    }
  });
  if (failure !== undefined) throw failure;
}
