import { floorTo, windowLength } from '../domain/time';
import type { Dimensions } from '../domain/dimensions';
import type { Meter, Meters } from '../meters/meters';
import { groupUsage } from './dimension-usage';
import { aggregate, checkDimensions, checkRange, windowsWithUsage } from './summarize-usage';
import type { UsageStore } from './usage-store';

/** GET /v1/billing/analytics/meter_usage (Stripe's preview Meter Usage Analytics API, UTC only). */
export interface MeterUsageAnalyticsCommand {
  customer: string;
  starts_at: number;
  ends_at: number;
  value_grouping_window?: 'hour' | 'day';
  meters: { meter: string; dimension_filters?: Record<string, string>; dimension_group_by_keys?: string[] }[];
}

export interface MeterUsageRow {
  object: 'billing.analytics.meter_usage_row';
  starts_at: number;
  ends_at: number;
  value: number;
  meter: string;
  dimensions: Dimensions;
}

export interface MeterUsageAnalytics {
  object: 'billing.analytics.meter_usage';
  refreshed_at: number;
  livemode: boolean;
  rows: { object: 'list'; url: string; has_more: false; total: number; data: MeterUsageRow[] };
}

export interface MeterUsageAnalyticsDeps {
  meters: Pick<Meters, 'retrieve'>;
  /** Throws NotFoundError naming `param` for a customer that does not exist. */
  customers: { retrieve(id: string, param: string): Promise<unknown> };
  usage: UsageStore;
}

/**
 * One customer's usage of several meters at once, each with its own dimension filters and
 * group-by keys: a row per meter, group and window (`hour`, `day`, or the whole range without
 * one) that has usage, in meter order, then group order, then time. Read from the same hourly
 * usage items as the event summaries, so the two always agree.
 */
export function makeMeterUsageAnalytics(deps: MeterUsageAnalyticsDeps) {
  return async function meterUsageAnalytics(command: MeterUsageAnalyticsCommand, now: number, livemode: boolean): Promise<MeterUsageAnalytics> {
    const { starts_at: start, ends_at: end, value_grouping_window: window } = command;
    checkRange(start, end, 'minute', ['starts_at', 'ends_at']);
    const meters: { meter: Meter; filters: Dimensions; groupBy: string[] }[] = [];
    for (const [i, request] of command.meters.entries()) {
      const meter = await deps.meters.retrieve(request.meter, `meters[${i}][meter]`);
      const filters = request.dimension_filters ?? {};
      const groupBy = request.dimension_group_by_keys ?? [];
      checkDimensions(meter, filters, groupBy, `meters[${i}]`);
      meters.push({ meter, filters, groupBy });
    }
    await deps.customers.retrieve(command.customer, 'customer');
    const rows: MeterUsageRow[] = [];
    for (const { meter, filters, groupBy } of meters) {
      const formula = meter.default_aggregation.formula;
      const hours = await deps.usage.readHours(meter.id, command.customer, floorTo(start, 'hour'), floorTo(end - 1, 'hour'));
      for (const group of groupUsage(formula, hours, filters, groupBy)) {
        // Windows with usage (the first one cut at starts_at), or the whole range if it has any.
        const windows = windowsWithUsage(group.hours, window ?? 'minute', start, end);
        const buckets = window ? windows.map((w) => Math.max(start, w)) : windows.slice(0, 1).map(() => start);
        for (const bucket of buckets.sort((a, b) => a - b)) {
          const bucketEnd = window ? Math.min(end, floorTo(bucket, window) + windowLength(window)) : end;
          const value = aggregate(formula, group.hours, bucket, bucketEnd).toNumber();
          rows.push({ object: 'billing.analytics.meter_usage_row', starts_at: bucket, ends_at: bucketEnd, value, meter: meter.id, dimensions: group.dimensions });
        }
      }
    }
    return {
      object: 'billing.analytics.meter_usage',
      refreshed_at: now,
      livemode,
      rows: { object: 'list', url: '/v1/billing/analytics/meter_usage', has_more: false, total: rows.length, data: rows },
    };
  };
}
