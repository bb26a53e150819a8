import { InvalidRequestError } from '../errors';
import { isAligned, type GroupingWindow } from '../domain/time';
import type { Params } from '../http/params';
import type { Route } from '../http/router';
import { listResponse } from '../http/response';
import { busiestMeters, meterUsageTotals, topCustomers, type UsageRange } from '../metering/usage-totals';
import type { ModeServices } from '../services';

/** `start_time` and `end_time` of a usage range, aligned with `alignment` boundaries, end after start. */
function readRange(params: Params, alignment: GroupingWindow): UsageRange {
  const start = params.integer('start_time', { min: 0 });
  const end = params.integer('end_time', { min: 0 });
  for (const [name, t] of [['start_time', start], ['end_time', end]] as const) {
    if (!isAligned(t, alignment)) throw new InvalidRequestError(`${name} must be aligned with ${alignment} boundaries.`, name);
  }
  if (end <= start) throw new InvalidRequestError('end_time must be after start_time.', 'end_time');
  return { start, end };
}

const readLimit = (params: Params) => params.optionalInteger('limit', { min: 1, max: 100 }) ?? 10;

/**
 * Usage across customers (Meterline extensions, read from the usage rollups): a meter's usage
 * over all customers, its top customers, and the busiest meters of a range.
 */
export function usageRoutes(s: ModeServices): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/v1/billing/meters/:id/usage_totals',
      handle: async (c) => {
        const window = (c.params.optionalString('value_grouping_window', { oneOf: ['hour', 'day'] }) ?? 'day') as 'hour' | 'day';
        const range = readRange(c.params, window);
        c.params.done();
        const meter = await s.meters.retrieve(c.path.id!);
        return { body: listResponse(c.url, { data: await meterUsageTotals(s.rollups, meter, { ...range, window }), hasMore: false }) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/billing/meters/:id/top_customers',
      handle: async (c) => {
        const range = readRange(c.params, 'hour');
        const limit = readLimit(c.params);
        c.params.done();
        const meter = await s.meters.retrieve(c.path.id!);
        return { body: listResponse(c.url, { data: await topCustomers(s.rollups, meter, { ...range, limit }), hasMore: false }) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/billing/meter_usage_totals',
      handle: async (c) => {
        const range = readRange(c.params, 'day');
        const limit = readLimit(c.params);
        c.params.done();
        return { body: listResponse(c.url, { data: await busiestMeters(s.rollups, { ...range, limit }, c.principal.livemode), hasMore: false }) };
      },
    },
  ];
}
