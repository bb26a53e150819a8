import { InvalidRequestError } from '../errors';
import { Quantity } from '../domain/quantity';
import { floorTo, HOUR, isAligned, MINUTE, windowLength, type GroupingWindow } from '../domain/time';
import { checkDimensionKey, type Formula, type Meter, type Meters } from '../meters/meters';
import { combinationId, combinationKey, type Dimensions } from '../domain/dimensions';
import { groupUsage, type UsageGroup } from './dimension-usage';
import type { ListPage, PageQuery } from '../store/objects';
import type { UsageHour, UsageStore } from './usage-store';

export interface MeterEventSummary {
  id: string;
  object: 'billing.meter_event_summary';
  aggregated_value: number;
  start_time: number;
  end_time: number;
  livemode: boolean;
  meter: string;
  /** The group's dimension values, when the summaries are grouped by dimension keys. */
  dimensions?: Dimensions;
}

export interface SummaryQuery {
  customerId: string;
  start: number;
  end: number;
  window: GroupingWindow | undefined;
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  /** Only the usage whose dimension values match these. */
  filters: Dimensions;
  /** One summary per group of these dimension keys' values; undefined: no grouping. */
  groupBy?: readonly string[];
}

/** GET /v1/billing/meters/:id/event_summaries. */
export interface SummariesCommand {
  customer: string;
  start_time: number;
  end_time: number;
  value_grouping_window?: GroupingWindow;
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  dimension_filters?: Record<string, string>;
  dimension_group_by_keys?: string[];
}

/** The summary query of a command: times aligned with the grouping window (minutes without one), end after start. */
export function summaryQueryOf(command: SummariesCommand): SummaryQuery {
  const { customer: customerId, start_time: start, end_time: end, value_grouping_window: window } = command;
  const limit = command.limit ?? 10;
  const startingAfter = command.starting_after;
  const endingBefore = command.ending_before;
  checkRange(start, end, window ?? 'minute');
  const filters = command.dimension_filters ?? {};
  const groupBy = command.dimension_group_by_keys;
  return { customerId, start, end, window, limit, startingAfter, endingBefore, filters, groupBy };
}

/**
 * Refuses dimension filters and group-by keys that are not dimensions of the meter, naming the
 * parameter (below `prefix`, such as `meters[0]`, when the meter is one of several).
 */
export function checkDimensions(meter: Meter, filters: Dimensions, groupBy: readonly string[] = [], prefix = ''): void {
  const param = (name: string) => (prefix ? `${prefix}[${name}]` : name);
  for (const key of Object.keys(filters)) checkDimensionKey(meter, key, `${param('dimension_filters')}[${key}]`);
  groupBy.forEach((key, i) => checkDimensionKey(meter, key, `${param('dimension_group_by_keys')}[${i}]`));
}

/** Refuses a range whose start or end (`names`) is not aligned with `alignment`, or that ends before it starts. */
export function checkRange(start: number, end: number, alignment: GroupingWindow, names: readonly [string, string] = ['start_time', 'end_time']): void {
  const [startName, endName] = names;
  for (const [name, t] of [[startName, start], [endName, end]] as const) {
    if (!isAligned(t, alignment)) {
      throw new InvalidRequestError(`${name} must be aligned with ${alignment} boundaries.`, name);
    }
  }
  if (end <= start) throw new InvalidRequestError(`${endName} must be after ${startName}.`, endName);
}

/** The value of `formula` over the minutes of `hours` that fall in [start, end). */
export function aggregate(formula: Formula, hours: readonly UsageHour[], start: number, end: number): Quantity {
  let total = new Quantity(0);
  let last: { at: [number, string]; value: string } | undefined;
  for (const hour of hours) {
    if (hour.hourStart + HOUR <= start || hour.hourStart >= end) continue;
    for (const [minute, value] of hour.minutes) {
      const t = hour.hourStart + minute * MINUTE;
      if (t < start || t >= end) continue;
      if (formula !== 'last') total = total.plus(value);
      else {
        const at = hour.lastAt.get(minute);
        if (at && (!last || at[0] > last.at[0] || (at[0] === last.at[0] && at[1] > last.at[1]))) last = { at, value };
      }
    }
  }
  return formula === 'last' ? new Quantity(last?.value ?? 0) : total;
}

const summaryId = (meter: Meter, start: number, group?: Dimensions) =>
  `mtrusg_${meter.id.slice(4)}${group ? `_${combinationId(combinationKey(group))}` : ''}_${start}`;
const startOfId = (id: string) => Number(id.slice(id.lastIndexOf('_') + 1));

/** Starts of the windows of `hours` that have usage in [start, end). */
export function windowsWithUsage(hours: readonly UsageHour[], window: GroupingWindow, start: number, end: number): number[] {
  const withUsage = new Set<number>();
  for (const hour of hours) {
    for (const minute of hour.minutes.keys()) {
      const t = hour.hourStart + minute * MINUTE;
      if (t >= start && t < end) withUsage.add(floorTo(t, window));
    }
  }
  return [...withUsage];
}

/**
 * The part of a query's range a page needs: newest first, the page after `starting_after` holds
 * only its window and older ones, the page before `ending_before` its window and newer ones, so
 * paging through a long range does not read all of it for every page.
 */
function readRange(query: SummaryQuery): { from: number; to: number } {
  const size = query.window ? windowLength(query.window) : undefined;
  const after = query.startingAfter ? startOfId(query.startingAfter) : NaN;
  const before = query.endingBefore ? startOfId(query.endingBefore) : NaN;
  if (!size) return { from: query.start, to: query.end };
  return {
    from: Number.isInteger(before) ? Math.max(query.start, Math.min(before, query.end - 1)) : query.start,
    to: Number.isInteger(after) ? Math.min(query.end, Math.max(after + size, query.start + 1)) : query.end,
  };
}

/**
 * Usage summaries, read from the hourly usage items (never from raw events): one summary for
 * the whole range, or one per hour or day that has usage, newest first; with dimension filters,
 * only the matching usage; grouped by dimension keys, one such series per group of values
 * (within a window, groups in the order of their values).
 */
export async function summarizeUsage(usage: UsageStore, meter: Meter, query: SummaryQuery) {
  const { from, to } = readRange(query);
  const hours = await usage.readHours(meter.id, query.customerId, floorTo(from, 'hour'), floorTo(to - 1, 'hour'));
  const formula = meter.default_aggregation.formula;
  const grouped = query.groupBy !== undefined;
  let groups = groupUsage(formula, hours, query.filters, query.groupBy ?? []);
  // Ungrouped, the selection is one series even when nothing matches.
  if (!grouped && groups.length === 0) groups = [{ dimensions: {}, hours: [] }];
  const summary = (group: UsageGroup, start: number, end: number): MeterEventSummary => ({
    id: summaryId(meter, start, grouped ? group.dimensions : undefined),
    object: 'billing.meter_event_summary',
    aggregated_value: aggregate(formula, group.hours, start, end).toNumber(),
    start_time: start,
    end_time: end,
    livemode: meter.livemode,
    meter: meter.id,
    ...(grouped ? { dimensions: group.dimensions } : {}),
  });
  if (!query.window) return { data: groups.map((group) => summary(group, query.start, query.end)), hasMore: false };

  const size = windowLength(query.window);
  const entries = groups
    .flatMap((group, order) => windowsWithUsage(group.hours, query.window!, query.start, query.end).map((start) => ({ group, order, start })))
    .sort((a, b) => b.start - a.start || a.order - b.order)
    .map((entry) => ({ ...entry, id: summaryId(meter, entry.start, grouped ? entry.group.dimensions : undefined) }));
  let page = entries;
  if (query.startingAfter) {
    const at = entries.findIndex((e) => e.id === query.startingAfter);
    page = at >= 0 ? entries.slice(at + 1) : entries.filter((e) => e.start < startOfId(query.startingAfter!));
  }
  if (query.endingBefore) {
    const at = page.findIndex((e) => e.id === query.endingBefore);
    page = (at >= 0 ? page.slice(0, at) : page.filter((e) => e.start > startOfId(query.endingBefore!))).slice(-query.limit);
  }
  const data = page.slice(0, query.limit);
  return { data: data.map((e) => summary(e.group, e.start, Math.min(e.start + size, query.end))), hasMore: page.length > data.length };
}

export interface MeterEventSummariesDeps {
  meters: Pick<Meters, 'retrieve'>;
  /** Throws NotFoundError naming `param` for a customer that does not exist. */
  customers: { retrieve(id: string, param: string): Promise<unknown> };
  usage: UsageStore;
}

/** GET /v1/billing/meters/:id/event_summaries: the meter's usage by a customer, per window. */
export function makeMeterEventSummaries(deps: MeterEventSummariesDeps) {
  return async function meterEventSummaries(meterId: string, command: SummariesCommand): Promise<ListPage<MeterEventSummary>> {
    const meter = await deps.meters.retrieve(meterId);
    const query = summaryQueryOf(command);
    checkDimensions(meter, query.filters, query.groupBy);
    await deps.customers.retrieve(query.customerId, 'customer');
    return summarizeUsage(deps.usage, meter, query);
  };
}
