/** Time is UTC Unix seconds and always passed in; these are the calendar helpers for usage. */

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86_400;

export type GroupingWindow = 'minute' | 'hour' | 'day';

/** The windows usage summaries group by (`value_grouping_window`). */
export const GROUPING_WINDOWS: readonly GroupingWindow[] = ['hour', 'day'];

const windowSeconds: Record<GroupingWindow, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/** Start of the window (minute, hour or UTC day) that contains `t`. */
export function floorTo(t: number, window: GroupingWindow): number {
  const size = windowSeconds[window];
  return Math.floor(t / size) * size;
}

export function isAligned(t: number, window: GroupingWindow): boolean {
  return t % windowSeconds[window] === 0;
}

export function windowLength(window: GroupingWindow): number {
  return windowSeconds[window];
}
