/**
 * The time left in an invocation, in milliseconds: Lambda's `context.getRemainingTimeInMillis`,
 * or the local poller's equivalent. Work that must not outlive its invocation (the consumer's
 * chunks, whose claims others adopt later) asks it before starting, and keeps no clock of its own.
 */
export type TimeLeft = () => number;

/** A budget of `ms` starting now, for callers that have no Lambda context (the local poller, tests, scripts). */
export function timeBudget(ms: number, clock: () => number = Date.now): TimeLeft {
  const end = clock() + ms;
  return () => end - clock();
}
