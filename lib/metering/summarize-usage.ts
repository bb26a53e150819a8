import { InvalidRequestError } from '../errors';
import { Quantity } from '../domain/quantity';
import { floorTo, HOUR, isAligned, MINUTE, windowLength, type GroupingWindow } from '../domain/time';
import type { Formula, Meter, Meters } from '../meters/meters';
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
}

export interface SummaryQuery {
  customerId: string;
  start: number;
  end: number;
  window: GroupingWindow | undefined;
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
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
}

/** The summary query of a command: times aligned with the grouping window (minutes without one), end after start. */
export function summaryQueryOf(command: SummariesCommand): SummaryQuery {
  const { customer: customerId, start_time: start, end_time: end, value_grouping_window: window } = command;
  const limit = command.limit ?? 10;
  const startingAfter = command.starting_after;
  const endingBefore = command.ending_before;
  checkRange(start, end, window ?? 'minute');
  return { customerId, start, end, window, limit, startingAfter, endingBefore };
}

/** Refuses a range whose `start_time` or `end_time` is not aligned with `alignment`, or that ends before it starts. */
export function checkRange(start: number, end: number, alignment: GroupingWindow): void {
  for (const [name, t] of [['start_time', start], ['end_time', end]] as const) {
    if (!isAligned(t, alignment)) {
      throw new InvalidRequestError(`${name} must be aligned with ${alignment} boundaries.`, name);
    }
  }
  if (end <= start) throw new InvalidRequestError('end_time must be after start_time.', 'end_time');
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

const summaryId = (meter: Meter, start: number) => `mtrusg_${meter.id.slice(4)}_${start}`;
const startOfId = (id: string) => Number(id.slice(id.lastIndexOf('_') + 1));

/**
 * Usage summaries, read from the hourly usage items (never from raw events): one summary for
 * the whole range, or one per hour or day that has usage, newest first.
 */
export async function summarizeUsage(usage: UsageStore, meter: Meter, query: SummaryQuery) {
  const hours = await usage.readHours(meter.id, query.customerId, floorTo(query.start, 'hour'), floorTo(query.end - 1, 'hour'));
  const summary = (start: number, end: number): MeterEventSummary => ({
    id: summaryId(meter, start),
    object: 'billing.meter_event_summary',
    aggregated_value: aggregate(meter.default_aggregation.formula, hours, start, end).toNumber(),
    start_time: start,
    end_time: end,
    livemode: meter.livemode,
    meter: meter.id,
  });
  if (!query.window) return { data: [summary(query.start, query.end)], hasMore: false };

  const size = windowLength(query.window);
  const withUsage = new Set<number>();
  for (const hour of hours) {
    for (const minute of hour.minutes.keys()) {
      const t = hour.hourStart + minute * MINUTE;
      if (t >= query.start && t < query.end) withUsage.add(floorTo(t, query.window));
    }
  }
  let starts = [...withUsage].sort((a, b) => b - a);
  if (query.startingAfter) starts = starts.filter((s) => s < startOfId(query.startingAfter!));
  if (query.endingBefore) starts = starts.filter((s) => s > startOfId(query.endingBefore!)).slice(-query.limit);
  const page = starts.slice(0, query.limit);
  return { data: page.map((s) => summary(s, Math.min(s + size, query.end))), hasMore: starts.length > page.length };
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
    await deps.customers.retrieve(query.customerId, 'customer');
    return summarizeUsage(deps.usage, meter, query);
  };
}
