/** Runs `task(i)` for i in [0, count) with at most `limit` in flight; rejects on the first error. */
export async function runPool(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure !== undefined) throw failure;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
