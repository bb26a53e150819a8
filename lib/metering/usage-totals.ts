import { Quantity } from '../domain/quantity';
import { DAY, floorTo, HOUR, windowLength } from '../domain/time';
import type { Meters } from '../meters/meters';
import { checkRange } from './summarize-usage';
import type { UsageRollupStore } from './usage-rollup';

/**
 * Usage across customers, read from the usage rollups (lib/metering/usage-rollup.ts): what the
 * console charts on its home page (the busiest meters) and a meter's page (its usage over all
 * customers, its top customers). Meterline extensions; Stripe's own summaries are per customer.
 * Sum and count meters only (`last` meters have no hour totals to add up).
 */

/** A meter's usage over all customers in [start_time, end_time). */
export interface MeterUsageTotal {
  object: 'billing.meter_usage_total';
  meter: string;
  start_time: number;
  end_time: number;
  aggregated_value: number;
  livemode: boolean;
}

/** One customer's usage of a meter in [start_time, end_time). */
export interface MeterCustomerUsage {
  object: 'billing.meter_customer_usage';
  meter: string;
  customer: string;
  start_time: number;
  end_time: number;
  aggregated_value: number;
  livemode: boolean;
}

/** GET /v1/billing/meters/:id/usage_totals: a range of whole hours, or of whole days for a day window (the default). */
export interface UsageTotalsCommand {
  start_time: number;
  end_time: number;
  value_grouping_window?: 'hour' | 'day';
}

/** GET /v1/billing/meters/:id/top_customers (a range of whole hours) and GET /v1/billing/meter_usage_totals (whole days). */
export interface RankingCommand {
  start_time: number;
  end_time: number;
  limit?: number;
}

export interface UsageTotalsDeps {
  meters: Pick<Meters, 'retrieve'>;
  rollups: UsageRollupStore;
}

/** The three reads of usage across customers, each checking its range. */
export function makeUsageTotals({ meters, rollups }: UsageTotalsDeps) {
  const ranking = (command: RankingCommand, alignment: 'hour' | 'day') => {
    checkRange(command.start_time, command.end_time, alignment);
    return { start: command.start_time, end: command.end_time, limit: command.limit ?? 10 };
  };
  return {
    async meterUsageTotals(meterId: string, command: UsageTotalsCommand) {
      const window = command.value_grouping_window ?? 'day';
      checkRange(command.start_time, command.end_time, window);
      return meterUsageTotals(rollups, await meters.retrieve(meterId), { start: command.start_time, end: command.end_time, window });
    },
    async topCustomers(meterId: string, command: RankingCommand) {
      const range = ranking(command, 'hour');
      return topCustomers(rollups, await meters.retrieve(meterId), range);
    },
    busiestMeters: (command: RankingCommand, livemode: boolean) => busiestMeters(rollups, ranking(command, 'day'), livemode),
  };
}

/** A range [start, end) of whole hours (or days, for a day window). */
export interface UsageRange {
  start: number;
  end: number;
}

/** A meter's usage over all customers, one total per hour or day of the range with usage (not zero), newest first. */
export async function meterUsageTotals(
  rollups: UsageRollupStore,
  meter: { id: string; livemode: boolean },
  range: UsageRange & { window: 'hour' | 'day' },
): Promise<MeterUsageTotal[]> {
  const hours = await rollups.meterHours(meter.id, range.start, range.end - HOUR);
  const buckets = new Map<number, Quantity>();
  for (const { hourStart, value } of hours) {
    const bucket = floorTo(hourStart, range.window);
    buckets.set(bucket, (buckets.get(bucket) ?? new Quantity(0)).plus(value));
  }
  const size = windowLength(range.window);
  return [...buckets]
    .filter(([, total]) => !total.isZero())
    .sort(([a], [b]) => b - a)
    .map(([start, total]) => ({
      object: 'billing.meter_usage_total',
      meter: meter.id,
      start_time: start,
      end_time: Math.min(start + size, range.end),
      aggregated_value: total.toNumber(),
      livemode: meter.livemode,
    }));
}

/** The customers with the most usage of a meter in the range, most first (ties by customer id). */
export async function topCustomers(
  rollups: UsageRollupStore,
  meter: { id: string; livemode: boolean },
  range: UsageRange & { limit: number },
): Promise<MeterCustomerUsage[]> {
  const days = await rollups.customerDays(meter.id, floorTo(range.start, 'day'), floorTo(range.end - HOUR, 'day'));
  const totals = new Map<string, Quantity>();
  for (const { dayStart, customerId, hours } of days) {
    for (const [hour, value] of hours) {
      const t = dayStart + hour * HOUR;
      if (t < range.start || t >= range.end) continue;
      totals.set(customerId, (totals.get(customerId) ?? new Quantity(0)).plus(value));
    }
  }
  return ranked(totals, range.limit).map(([customer, total]) => ({
    object: 'billing.meter_customer_usage',
    meter: meter.id,
    customer,
    start_time: range.start,
    end_time: range.end,
    aggregated_value: total.toNumber(),
    livemode: meter.livemode,
  }));
}

/** The meters with the most usage over all customers in a range of whole days, most first. */
export async function busiestMeters(rollups: UsageRollupStore, range: UsageRange & { limit: number }, livemode: boolean): Promise<MeterUsageTotal[]> {
  const days = await rollups.meterDays(range.start, range.end - DAY);
  const totals = new Map<string, Quantity>();
  for (const { meterId, value } of days) totals.set(meterId, (totals.get(meterId) ?? new Quantity(0)).plus(value));
  return ranked(totals, range.limit).map(([meter, total]) => ({
    object: 'billing.meter_usage_total',
    meter,
    start_time: range.start,
    end_time: range.end,
    aggregated_value: total.toNumber(),
    livemode,
  }));
}

/** The `limit` largest non-zero totals, largest first, ties in id order. */
function ranked(totals: Map<string, Quantity>, limit: number): [string, Quantity][] {
  return [...totals]
    .filter(([, total]) => !total.isZero())
    .sort(([a, x], [b, y]) => y.comparedTo(x) || (a < b ? -1 : 1))
    .slice(0, limit);
}
