import { Quantity } from '../domain/quantity';
import { combinationKey, groupOf, matchesFilters, type Dimensions } from '../domain/dimensions';
import type { Formula } from '../meters/meters';
import type { MinuteValues, UsageHour } from './usage-reads';

/*
 * Usage by dimension values, from the combinations kept on each hourly usage item: pure
 * functions that turn the hours of a meter into the hours of a selection (the combinations that
 * match a filter, or one group of a group-by), which `aggregate` then reads like any other.
 */

/** One group of a group-by: its dimension values and its usage, hour by hour. */
export interface UsageGroup {
  dimensions: Dimensions;
  hours: UsageHour[];
}

/** Whether a held `last` value is older than another (time, then identifier). */
const olderThan = (held: [number, string], other: [number, string]) => held[0] < other[0] || (held[0] === other[0] && held[1] < other[1]);

/** Minute values being merged: sums for sum and count meters, the latest value for `last`. */
class MergedMinutes {
  private readonly sums = new Map<number, Quantity>();
  private readonly latest = new Map<number, { at: [number, string]; value: string }>();

  constructor(private readonly formula: Formula) {}

  add(values: MinuteValues): void {
    for (const [minute, value] of values.minutes) {
      if (this.formula !== 'last') {
        this.sums.set(minute, (this.sums.get(minute) ?? new Quantity(0)).plus(value));
        continue;
      }
      const at = values.lastAt.get(minute);
      const held = this.latest.get(minute);
      if (at && (!held || olderThan(held.at, at))) this.latest.set(minute, { at, value });
    }
  }

  values(): MinuteValues {
    if (this.formula !== 'last') return { minutes: new Map([...this.sums].map(([m, q]) => [m, q.toFixed()])), lastAt: new Map() };
    return {
      minutes: new Map([...this.latest].map(([m, { value }]) => [m, value])),
      lastAt: new Map([...this.latest].map(([m, { at }]) => [m, at])),
    };
  }
}

/**
 * The usage of the combinations that match `filters`, grouped by the values of `groupBy`
 * (one group of all matching usage when `groupBy` is empty), groups in the order of their values.
 * Hours of a meter without dimensions have no combinations: they match no filter, and their
 * usage is one group without values.
 */
export function groupUsage(formula: Formula, hours: readonly UsageHour[], filters: Dimensions, groupBy: readonly string[]): UsageGroup[] {
  if (Object.keys(filters).length === 0 && groupBy.length === 0) return [{ dimensions: {}, hours: [...hours] }];
  const groups = new Map<string, { dimensions: Dimensions; hours: Map<number, MergedMinutes> }>();
  for (const hour of hours) {
    for (const combination of hour.combinations ?? []) {
      if (!matchesFilters(combination.dimensions, filters)) continue;
      const dimensions = groupOf(combination.dimensions, groupBy);
      const key = combinationKey(dimensions);
      const group = groups.get(key) ?? { dimensions, hours: new Map<number, MergedMinutes>() };
      groups.set(key, group);
      const merged = group.hours.get(hour.hourStart) ?? new MergedMinutes(formula);
      group.hours.set(hour.hourStart, merged);
      merged.add(combination);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => ({
      dimensions: group.dimensions,
      hours: [...group.hours].map(([hourStart, merged]) => ({ hourStart, ...merged.values() })),
    }));
}

/** The usage of the combinations `select` picks, as hours: what a price with conditions bills, or what no price bills. */
export function selectUsage(formula: Formula, hours: readonly UsageHour[], select: (dimensions: Dimensions) => boolean): UsageHour[] {
  return hours.map((hour) => {
    const merged = new MergedMinutes(formula);
    for (const combination of hour.combinations ?? []) if (select(combination.dimensions)) merged.add(combination);
    return { hourStart: hour.hourStart, ...merged.values() };
  });
}
