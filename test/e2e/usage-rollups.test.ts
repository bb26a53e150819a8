import qs from 'qs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { DAY, HOUR, customerParams, drained, expectInvalid, floorTo, meterParams, nowSeconds, unique } from '../fixtures/stripe';
import type { MeterCustomerUsage, MeterUsageTotal } from '../../lib/metering/usage-totals';

type List<T> = { object: 'list'; data: T[]; has_more: boolean; url: string };

const get = async <T>(stripe: Stripe, path: string, query: Record<string, unknown>) =>
  (await stripe.rawRequest('GET', `${path}?${qs.stringify(query)}`, null as never)) as unknown as List<T>;

/** Usage across customers: what the console's home page (busiest meters) and meter page (all customers, top customers) chart. */
describe('usage across customers (usage rollups kept from the usage table stream)', () => {
  const { stack } = useStack({ usageRollup: true });

  // Whole hours and days of the past, inside the 35 days a meter accepts.
  const today = floorTo(nowSeconds(), DAY);
  const day1 = today - 3 * DAY;
  const day2 = today - 2 * DAY;
  const range = { start_time: day1, end_time: today };

  const send = (event_name: string, customer: string, value: string, timestamp: number, identifier = unique('ev')) =>
    stack.stripe.billing.meterEvents.create({ event_name, payload: { stripe_customer_id: customer, value }, timestamp, identifier });

  /** The per-customer summaries the rollups must agree with. */
  async function summaries(meter: string, customer: string, window: 'hour' | 'day') {
    const page = await stack.stripe.billing.meters.listEventSummaries(meter, { customer, ...range, value_grouping_window: window, limit: 100 });
    return page.data;
  }

  it('adds every customer’s usage exactly once, and agrees with the per-customer summaries', async () => {
    const { stripe } = stack;
    const tokens = await stripe.billing.meters.create(meterParams({ default_aggregation: { formula: 'sum' } }));
    const calls = await stripe.billing.meters.create(meterParams({ default_aggregation: { formula: 'count' } }));
    const gauge = await stripe.billing.meters.create(meterParams({ default_aggregation: { formula: 'last' } }));
    const [ada, bo, cy] = await Promise.all([0, 1, 2].map(() => stripe.customers.create(customerParams())));

    const duplicated = unique('dup');
    const cancelled = unique('cancel');
    await Promise.all([
      send(tokens.event_name, ada!.id, '10.5', day1 + 1 * HOUR + 60),
      send(tokens.event_name, ada!.id, '4.25', day1 + 1 * HOUR + 120),
      send(tokens.event_name, ada!.id, '100', day2 + 5 * HOUR, duplicated),
      send(tokens.event_name, bo!.id, '7', day1 + 1 * HOUR + 300),
      send(tokens.event_name, bo!.id, '30', day2 + 23 * HOUR + 3599),
      send(tokens.event_name, bo!.id, '1000', day2 + 6 * HOUR, cancelled),
      send(tokens.event_name, cy!.id, '0.000000000000001', day2 + 5 * HOUR),
      send(calls.event_name, ada!.id, '1', day1 + 2 * HOUR),
      send(calls.event_name, bo!.id, '1', day1 + 2 * HOUR),
      send(calls.event_name, bo!.id, '1', day2),
      send(gauge.event_name, ada!.id, '42', day1 + HOUR),
    ]);
    await drained(stack);
    // The same identifier again counts nothing; a cancelled event is taken back from every rollup.
    await send(tokens.event_name, ada!.id, '100', day2 + 5 * HOUR, duplicated);
    await stripe.billing.meterEventAdjustments.create({ event_name: tokens.event_name, type: 'cancel', cancel: { identifier: cancelled } });
    await drained(stack);

    // The meter over all customers, by hour and by day.
    const hours = await get<MeterUsageTotal>(stripe, `/v1/billing/meters/${tokens.id}/usage_totals`, { ...range, value_grouping_window: 'hour' });
    expect(hours.data.map((t) => [t.start_time - day1, t.aggregated_value])).toEqual([
      [DAY + 23 * HOUR, 30],
      [DAY + 5 * HOUR, 100.000000000000001],
      [1 * HOUR, 21.75],
    ]);
    expect(hours.data[0]).toEqual({
      object: 'billing.meter_usage_total',
      meter: tokens.id,
      start_time: day2 + 23 * HOUR,
      end_time: day2 + DAY,
      aggregated_value: 30,
      livemode: false,
    });
    const days = await get<MeterUsageTotal>(stripe, `/v1/billing/meters/${tokens.id}/usage_totals`, { ...range, value_grouping_window: 'day' });
    expect(days.data.map((t) => [t.start_time, t.end_time, t.aggregated_value])).toEqual([
      [day2, day2 + DAY, 130.000000000000001],
      [day1, day1 + DAY, 21.75],
    ]);

    // Each bucket is the sum of the customers' own summaries for it.
    for (const window of ['hour', 'day'] as const) {
      const expected = new Map<number, number>();
      for (const customer of [ada!, bo!, cy!]) {
        for (const s of await summaries(tokens.id, customer.id, window)) expected.set(s.start_time, (expected.get(s.start_time) ?? 0) + s.aggregated_value);
      }
      const totals = await get<MeterUsageTotal>(stripe, `/v1/billing/meters/${tokens.id}/usage_totals`, { ...range, value_grouping_window: window });
      expect(new Map(totals.data.map((t) => [t.start_time, t.aggregated_value]))).toEqual(
        new Map([...expected].filter(([, v]) => v !== 0)),
      );
    }

    // Top customers over the whole range, and over one hour.
    const top = await get<MeterCustomerUsage>(stripe, `/v1/billing/meters/${tokens.id}/top_customers`, range);
    expect(top.data.map((t) => [t.customer, t.aggregated_value])).toEqual([
      [ada!.id, 114.75],
      [bo!.id, 37],
      [cy!.id, 0.000000000000001],
    ]);
    const topOfHour = await get<MeterCustomerUsage>(stripe, `/v1/billing/meters/${tokens.id}/top_customers`, {
      start_time: day1 + HOUR,
      end_time: day1 + 2 * HOUR,
      limit: 1,
    });
    expect(topOfHour.data).toEqual([
      { object: 'billing.meter_customer_usage', meter: tokens.id, customer: ada!.id, start_time: day1 + HOUR, end_time: day1 + 2 * HOUR, aggregated_value: 14.75, livemode: false },
    ]);

    // The busiest meters: sum and count meters, most first; a `last` meter has no totals to add up.
    const busiest = await get<MeterUsageTotal>(stripe, '/v1/billing/meter_usage_totals', { ...range, limit: 100 });
    const mine = busiest.data.filter((t) => [tokens.id, calls.id, gauge.id].includes(t.meter));
    expect(mine.map((t) => [t.meter, t.aggregated_value])).toEqual([
      [tokens.id, 151.750000000000001],
      [calls.id, 3],
    ]);
    const values = busiest.data.map((t) => t.aggregated_value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it('keeps each mode’s usage apart', async () => {
    const now = nowSeconds();
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now });
    const live = stack.client(secret);
    const meter = await live.billing.meters.create(meterParams());
    const customer = await live.customers.create(customerParams());
    await live.billing.meterEvents.create({ event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value: '5' }, timestamp: day1, identifier: unique('ev') });
    await drained(stack);

    const liveBusiest = await get<MeterUsageTotal>(live, '/v1/billing/meter_usage_totals', range);
    expect(liveBusiest.data.map((t) => [t.meter, t.aggregated_value, t.livemode])).toEqual([[meter.id, 5, true]]);
    const testBusiest = await get<MeterUsageTotal>(stack.stripe, '/v1/billing/meter_usage_totals', { ...range, limit: 100 });
    expect(testBusiest.data.map((t) => t.meter)).not.toContain(meter.id);
    // The other mode's meter is simply not there.
    await expect(get(stack.stripe, `/v1/billing/meters/${meter.id}/usage_totals`, range)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses ranges it cannot answer, naming the parameter', async () => {
    const { stripe } = stack;
    const meter = await stripe.billing.meters.create(meterParams());
    const path = `/v1/billing/meters/${meter.id}`;
    await expectInvalid(get(stripe, `${path}/usage_totals`, { start_time: day1 + 1, end_time: today }), 'start_time');
    await expectInvalid(get(stripe, `${path}/usage_totals`, { start_time: day1 + HOUR, end_time: today, value_grouping_window: 'day' }), 'start_time');
    await expectInvalid(get(stripe, `${path}/usage_totals`, { start_time: today, end_time: day1 }), 'end_time');
    await expectInvalid(get(stripe, `${path}/usage_totals`, { ...range, value_grouping_window: 'minute' }), 'value_grouping_window');
    await expectInvalid(get(stripe, `${path}/top_customers`, { start_time: day1, end_time: today + 60 }), 'end_time');
    await expectInvalid(get(stripe, `${path}/top_customers`, { ...range, limit: 101 }), 'limit');
    await expectInvalid(get(stripe, `${path}/top_customers`, { ...range, customer: 'cus_x' }), 'customer');
    await expectInvalid(get(stripe, '/v1/billing/meter_usage_totals', { start_time: day1 + HOUR, end_time: today }), 'start_time');
    await expectInvalid(get(stripe, '/v1/billing/meter_usage_totals', { end_time: today }), 'start_time');
    await expect(get(stripe, '/v1/billing/meters/mtr_missing/top_customers', range)).rejects.toMatchObject({ statusCode: 404 });
  });
});
