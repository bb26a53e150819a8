import { Money } from './money';
import { DAY } from './time';

/**
 * Calendar billing periods, in UTC Unix seconds. Month and year steps are always taken from the
 * anchor itself (never from the previous boundary), so an anchor on the 31st bills on the last
 * day of shorter months and returns to the 31st after, as Stripe's billing cycles do.
 */

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface BillingCycle {
  /** Start of the subscription: boundary 0. */
  start: number;
  /** Stripe's billing_cycle_anchor, >= start; after start, period 0 is the partial [start, anchor). */
  anchor: number;
  interval: Interval;
  intervalCount: number;
}

const fixedSeconds = { day: DAY, week: 7 * DAY } as const;
const monthsPer = { month: 1, year: 12 } as const;

/** Stripe's limit: an interval spans at most three years. */
export const maxIntervalCount: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };

/** `anchor` shifted by n (an integer, may be negative) intervals, clamping the day of month. */
export function shiftByIntervals(anchor: number, interval: Interval, n: number): number {
  if (!Number.isInteger(n)) throw new RangeError(`interval count ${n} is not an integer`);
  if (interval === 'day' || interval === 'week') return anchor + n * fixedSeconds[interval];
  return shiftByMonths(anchor, n * monthsPer[interval]);
}

/** Boundary k (k >= 0) of a subscription's periods; boundary 0 is the start. */
export function periodBoundary(cycle: BillingCycle, k: number): number {
  checkCycle(cycle);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`period index ${k} is not a non-negative integer`);
  if (k === 0) return cycle.start;
  const steps = cycle.anchor === cycle.start ? k : k - 1;
  return shiftByIntervals(cycle.anchor, cycle.interval, steps * cycle.intervalCount);
}

/** Period k: [boundary k, boundary k+1). */
export function period(cycle: BillingCycle, k: number): { start: number; end: number } {
  return { start: periodBoundary(cycle, k), end: periodBoundary(cycle, k + 1) };
}

/**
 * Share of a full period that period k covers: 1, except for a partial period 0 before a future
 * anchor, where it is (anchor - start) over the full period ending at the anchor. Seconds, as
 * Stripe prorates; the ratio is rounded to Money's 60 significant digits.
 */
export function prorationFactor(cycle: BillingCycle, k: number): Money {
  checkCycle(cycle);
  if (k !== 0 || cycle.anchor === cycle.start) return new Money(1);
  const fullStart = shiftByIntervals(cycle.anchor, cycle.interval, -cycle.intervalCount);
  return new Money(cycle.anchor - cycle.start).dividedBy(cycle.anchor - fullStart);
}

/** Index of the period that contains t (t >= start): the largest k whose boundary is <= t. */
export function periodIndexAt(cycle: BillingCycle, t: number): number {
  checkCycle(cycle);
  if (t < cycle.start) throw new RangeError(`time ${t} is before the subscription start ${cycle.start}`);
  if (t < cycle.anchor) return 0;
  const offset = cycle.anchor === cycle.start ? 0 : 1;
  // Estimate from elapsed time (exact for days and weeks, off by at most one for months), then
  // step to the exact index: constant time however long the history.
  let k = offset + Math.max(0, Math.floor(elapsedIntervals(cycle.anchor, cycle.interval, t) / cycle.intervalCount));
  while (k > offset && periodBoundary(cycle, k) > t) k--;
  while (periodBoundary(cycle, k + 1) <= t) k++;
  return k;
}

/** True when `count` intervals are a valid Stripe recurring interval (at most three years). */
export function isValidIntervalCount(interval: Interval, count: number): boolean {
  return Number.isInteger(count) && count >= 1 && count <= maxIntervalCount[interval];
}

function checkCycle(cycle: BillingCycle): void {
  if (cycle.anchor < cycle.start) throw new RangeError(`billing cycle anchor ${cycle.anchor} is before its start ${cycle.start}`);
  if (!Number.isInteger(cycle.intervalCount) || cycle.intervalCount < 1) {
    throw new RangeError(`interval count ${cycle.intervalCount} is not a positive integer`);
  }
}

/** Whole intervals from `from` to `to`, approximately for months (calendar months elapsed). */
function elapsedIntervals(from: number, interval: Interval, to: number): number {
  if (interval === 'day' || interval === 'week') return Math.floor((to - from) / fixedSeconds[interval]);
  const a = new Date(from * 1000);
  const b = new Date(to * 1000);
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  return Math.floor(months / monthsPer[interval]);
}

function shiftByMonths(anchor: number, months: number): number {
  const date = new Date(anchor * 1000);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  const secondOfDay = anchor - Math.floor(anchor / DAY) * DAY;
  const target = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  target.setUTCFullYear(year, month, day);
  return target.getTime() / 1000 + secondOfDay;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month] ?? 31;
}
