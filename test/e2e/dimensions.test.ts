import qs from 'qs';
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { DAY, HOUR, MINUTE, customerParams, drained, expectInvalid, floorTo, iso, loose, nowSeconds, streamClient, unique } from '../fixtures/stripe';
import type { MeterUsageAnalytics } from '../../lib/metering/meter-usage-analytics';
import { triggersOf, usageAlertParams, type MeterlineAlert } from '../fixtures/alerts';

type Summary = Stripe.Billing.MeterEventSummary & { dimensions?: Record<string, string> };

/** Meters with dimensions: usage kept per combination of dimension values, read back filtered and grouped. */
describe('meters with dimensions (LLM tokens by model and token type)', () => {
  const { stack, stripe } = useStack();
  let stream: Stripe;
  beforeAll(async () => {
    stream = await streamClient(stack);
  });

  // Two whole hours of the past, inside the 35 days a meter accepts.
  const hour1 = floorTo(nowSeconds(), DAY) - 2 * DAY + 10 * HOUR;
  const hour2 = hour1 + HOUR;
  const range = { start_time: hour1, end_time: hour2 + HOUR };

  const tokenMeter = (formula: 'sum' | 'count' | 'last' = 'sum') =>
    stripe.billing.meters.create(
      loose({
        display_name: 'Tokens',
        event_name: unique('tokens'),
        default_aggregation: { formula },
        dimension_payload_keys: ['model', 'token_type'],
      }),
    ) as unknown as Promise<Stripe.Billing.Meter & { dimension_payload_keys: string[] }>;

  const event = (meter: { event_name: string }, customer: string, value: string, timestamp: number, dims: Record<string, string>, identifier = unique('ev')) => ({
    event_name: meter.event_name,
    identifier,
    timestamp: iso(timestamp),
    payload: { stripe_customer_id: customer, value, ...dims },
  });

  const summaries = async (meter: string, customer: string, query: Record<string, unknown>) => {
    const page = await stripe.billing.meters.listEventSummaries(meter, loose({ customer, ...range, limit: 100, ...query }));
    return page.data as Summary[];
  };

  /** The identifiers the meter's error reports name for `code`, sorted. */
  const reported = async (meter: string, code: string) => {
    type Report = { data: { reason: { error_types: { code: string; sample_errors: { request: { identifier: string } }[] }[] } } };
    const identifiers: string[] = [];
    for await (const report of stripe.v2.core.events.list({ object_id: meter })) {
      for (const type of (report as unknown as Report).data.reason.error_types) {
        if (type.code === code) identifiers.push(...type.sample_errors.map((s) => s.request.identifier));
      }
    }
    return identifiers.sort();
  };

  const analytics = (query: Record<string, unknown>) =>
    stripe.rawRequest('GET', `/v1/billing/analytics/meter_usage?${qs.stringify(query)}`, null as never) as unknown as Promise<MeterUsageAnalytics>;

  it('shows its dimension keys and refuses bad ones, naming the parameter', async () => {
    const meter = await tokenMeter();
    expect(meter.dimension_payload_keys).toEqual(['model', 'token_type']);
    expect((await stripe.billing.meters.retrieve(meter.id)) as unknown).toMatchObject({ dimension_payload_keys: ['model', 'token_type'] });
    const plain = await stripe.billing.meters.create({ display_name: 'Plain', event_name: unique('plain'), default_aggregation: { formula: 'sum' } });
    expect(plain).toMatchObject({ dimension_payload_keys: [] });

    const create = (keys: unknown) => stripe.billing.meters.create(loose({ display_name: 'Bad', event_name: unique('bad'), default_aggregation: { formula: 'sum' }, dimension_payload_keys: keys }));
    await expectInvalid(create(Array.from({ length: 11 }, (_, i) => `k${i}`)), 'dimension_payload_keys');
    await expectInvalid(create(['model', 'model']), 'dimension_payload_keys[1]');
    await expectInvalid(create(['model', 'value']), 'dimension_payload_keys[1]');
    await expectInvalid(create(['stripe_customer_id']), 'dimension_payload_keys[0]');
    await expectInvalid(create(['bad key!']), 'dimension_payload_keys[0]');
  });

  it('sums usage per combination: grouped, filtered, per window, and always adding up to the total', async () => {
    const meter = await tokenMeter();
    const customer = (await stripe.customers.create(customerParams())).id;
    const duplicate = unique('dup');
    const cancelled = unique('cancel');
    await stream.v2.billing.meterEventStream.create({
      events: [
        event(meter, customer, '100', hour1 + 5 * MINUTE, { model: 'large', token_type: 'input' }),
        event(meter, customer, '40', hour1 + 5 * MINUTE, { model: 'large', token_type: 'output' }),
        event(meter, customer, '7.5', hour1 + 30 * MINUTE, { model: 'small', token_type: 'input' }, duplicate),
        event(meter, customer, '2.25', hour2 + 59 * MINUTE, { model: 'small', token_type: 'output' }),
        event(meter, customer, '1000', hour2, { model: 'large', token_type: 'input' }, cancelled),
        // No model: a combination of its own, counted in the total.
        event(meter, customer, '3', hour2 + MINUTE, { token_type: 'input' }),
      ],
    });
    // The same identifier again, in another request, counts nothing.
    await stripe.v2.billing.meterEvents.create(event(meter, customer, '7.5', hour1 + 30 * MINUTE, { model: 'small', token_type: 'input' }, duplicate));
    await drained(stack);
    await stripe.billing.meterEventAdjustments.create({ event_name: meter.event_name, type: 'cancel', cancel: { identifier: cancelled } });
    await drained(stack);

    const [total] = await summaries(meter.id, customer, {});
    expect(total).toMatchObject({ aggregated_value: 152.75 });
    expect(total).not.toHaveProperty('dimensions');

    const byModel = await summaries(meter.id, customer, { dimension_group_by_keys: ['model'] });
    // Groups in the order of their values; the group without a model comes last.
    expect(byModel.map((s) => [s.dimensions, s.aggregated_value])).toEqual([
      [{ model: 'large' }, 140],
      [{ model: 'small' }, 9.75],
      [{}, 3],
    ]);
    const inputs = await summaries(meter.id, customer, { dimension_filters: { token_type: 'input' }, dimension_group_by_keys: ['model'] });
    expect(inputs.map((s) => [s.dimensions, s.aggregated_value])).toEqual([
      [{ model: 'large' }, 100],
      [{ model: 'small' }, 7.5],
      [{}, 3],
    ]);
    const [largeOutput] = await summaries(meter.id, customer, { dimension_filters: { model: 'large', token_type: 'output' } });
    expect(largeOutput).toMatchObject({ aggregated_value: 40 });
    const [nothing] = await summaries(meter.id, customer, { dimension_filters: { model: 'none' } });
    expect(nothing).toMatchObject({ aggregated_value: 0 });

    // Per hour, newest first, groups in the order of their values; the ids page through them.
    const hourly = await summaries(meter.id, customer, { value_grouping_window: 'hour', dimension_group_by_keys: ['token_type'] });
    expect(hourly.map((s) => [s.start_time, s.dimensions, s.aggregated_value])).toEqual([
      [hour2, { token_type: 'input' }, 3],
      [hour2, { token_type: 'output' }, 2.25],
      [hour1, { token_type: 'input' }, 107.5],
      [hour1, { token_type: 'output' }, 40],
    ]);
    expect(new Set(hourly.map((s) => s.id)).size).toBe(4);
    const page1 = await summaries(meter.id, customer, { value_grouping_window: 'hour', dimension_group_by_keys: ['token_type'], limit: 3 });
    const page2 = await summaries(meter.id, customer, { value_grouping_window: 'hour', dimension_group_by_keys: ['token_type'], limit: 3, starting_after: page1[2]!.id });
    expect([...page1, ...page2].map((s) => s.id)).toEqual(hourly.map((s) => s.id));
    // One at a time, forward with starting_after and back with ending_before: the same series.
    const grouped = { value_grouping_window: 'hour', dimension_group_by_keys: ['token_type'], limit: 1 };
    const forward: Summary[] = [];
    for (let cursor: string | undefined; forward.length < 10; ) {
      const [next] = await summaries(meter.id, customer, { ...grouped, ...(cursor ? { starting_after: cursor } : {}) });
      if (!next) break;
      forward.push(next);
      cursor = next.id;
    }
    expect(forward).toEqual(hourly);
    const backward: Summary[] = [forward.at(-1)!];
    for (let cursor = forward.at(-1)!.id; backward.length < 10; ) {
      const [previous] = await summaries(meter.id, customer, { ...grouped, ending_before: cursor });
      if (!previous) break;
      backward.unshift(previous);
      cursor = previous.id;
    }
    expect(backward).toEqual(hourly);

    // Minute-aligned ranges cut hours exactly, per combination too.
    const [firstHalf] = await summaries(meter.id, customer, { start_time: hour1, end_time: hour1 + 30 * MINUTE, dimension_filters: { model: 'small' } });
    expect(firstHalf).toMatchObject({ aggregated_value: 0 });
    const [secondHalf] = await summaries(meter.id, customer, { start_time: hour1 + 30 * MINUTE, end_time: hour1 + HOUR, dimension_filters: { model: 'small' } });
    expect(secondHalf).toMatchObject({ aggregated_value: 7.5 });

    // The analytics API agrees with the summaries, row by row.
    const usage = await analytics({
      customer,
      starts_at: hour1,
      ends_at: hour2 + HOUR,
      value_grouping_window: 'hour',
      meters: [{ meter: meter.id, dimension_group_by_keys: ['token_type'] }, { meter: meter.id, dimension_filters: { model: 'large' } }],
    });
    expect(usage).toMatchObject({ object: 'billing.analytics.meter_usage', livemode: false, rows: { object: 'list', has_more: false, total: 6 } });
    expect(usage.rows.data.map((r) => [r.meter, r.starts_at, r.ends_at, r.dimensions, r.value])).toEqual([
      [meter.id, hour1, hour2, { token_type: 'input' }, 107.5],
      [meter.id, hour2, hour2 + HOUR, { token_type: 'input' }, 3],
      [meter.id, hour1, hour2, { token_type: 'output' }, 40],
      [meter.id, hour2, hour2 + HOUR, { token_type: 'output' }, 2.25],
      [meter.id, hour1, hour2, {}, 140],
      // The cancelled event's hour: usage taken back to 0.
      [meter.id, hour2, hour2 + HOUR, {}, 0],
    ]);
    expect(usage.rows.data[0]).toEqual({ object: 'billing.analytics.meter_usage_row', meter: meter.id, starts_at: hour1, ends_at: hour2, value: 107.5, dimensions: { token_type: 'input' } });
  });

  it('keeps the latest value per combination for last meters, and counts per combination for count meters', async () => {
    const gauge = await tokenMeter('last');
    const calls = await tokenMeter('count');
    const customer = (await stripe.customers.create(customerParams())).id;
    await stream.v2.billing.meterEventStream.create({
      events: [
        event(gauge, customer, '5', hour1 + MINUTE, { model: 'large' }),
        event(gauge, customer, '9', hour1 + 2 * MINUTE, { model: 'small' }),
        event(gauge, customer, '6', hour1 + 3 * MINUTE, { model: 'large' }),
        event(calls, customer, '1', hour1 + MINUTE, { model: 'large' }),
        event(calls, customer, '1', hour1 + 2 * MINUTE, { model: 'large' }),
        event(calls, customer, '1', hour1 + 2 * MINUTE, { model: 'small' }),
      ],
    });
    await drained(stack);
    const latest = await summaries(gauge.id, customer, { dimension_group_by_keys: ['model'] });
    expect(latest.map((s) => [s.dimensions, s.aggregated_value])).toEqual([
      [{ model: 'large' }, 6],
      [{ model: 'small' }, 9],
    ]);
    const [overall] = await summaries(gauge.id, customer, {});
    expect(overall).toMatchObject({ aggregated_value: 6 });
    const counted = await summaries(calls.id, customer, { dimension_group_by_keys: ['model'] });
    expect(counted.map((s) => [s.dimensions, s.aggregated_value])).toEqual([
      [{ model: 'large' }, 2],
      [{ model: 'small' }, 1],
    ]);
  });

  it('applies a backfilled hour of 20 combinations in every minute in one consumer call, exactly (the item is split over chunks)', async () => {
    const meter = await tokenMeter();
    const customer = (await stripe.customers.create(customerParams())).id;
    const events: ReturnType<typeof event>[] = [];
    for (let minute = 0; minute < 60; minute++) {
      for (let c = 0; c < 20; c++) events.push(event(meter, customer, `${c}.5`, hour1 + minute * MINUTE + c, { model: `m${c % 10}`, token_type: c < 10 ? 'input' : 'output' }));
    }
    // 1,200 events in 12 messages, consumed by one call, as one Lambda batch would be.
    const received = nowSeconds();
    const records = Array.from({ length: 12 }, (_, i) => ({
      messageId: unique('msg'),
      receiptHandle: 'local',
      receiveCount: 1,
      body: JSON.stringify({ type: 'meter_events', received, received_ms: received * 1000, livemode: false, events: events.slice(i * 100, (i + 1) * 100) }),
    }));
    const result = await stack.services.of('test').consumeMeterEvents(records, Date.now());
    expect(result).toMatchObject({ failedMessageIds: [], counts: { received: 1200, applied: 1200, invalid: 0 } });

    const byType = await summaries(meter.id, customer, { start_time: hour1, end_time: hour2, dimension_group_by_keys: ['token_type'] });
    // Per minute: input 0.5 + 1.5 + ... + 9.5 = 50, output 10.5 + ... + 19.5 = 150.
    expect(byType.map((s) => [s.dimensions, s.aggregated_value])).toEqual([
      [{ token_type: 'input' }, 3000],
      [{ token_type: 'output' }, 9000],
    ]);
    const byModel = await summaries(meter.id, customer, { start_time: hour1, end_time: hour2, dimension_group_by_keys: ['model', 'token_type'] });
    expect(byModel).toHaveLength(20);
    expect(byModel.find((s) => s.dimensions!.model === 'm3' && s.dimensions!.token_type === 'output')).toMatchObject({ aggregated_value: 13.5 * 60 });
    const [lastQuarter] = await summaries(meter.id, customer, { start_time: hour1 + 45 * MINUTE, end_time: hour2, dimension_filters: { model: 'm0', token_type: 'input' } });
    expect(lastQuarter).toMatchObject({ aggregated_value: 0.5 * 15 });
  });

  it('refuses bad dimension values and unknown dimension keys, naming the parameter', async () => {
    const meter = await tokenMeter();
    const customer = (await stripe.customers.create(customerParams())).id;
    await expectInvalid(
      stripe.v2.billing.meterEvents.create(event(meter, customer, '1', nowSeconds(), { model: 'x'.repeat(101) })),
      'payload[model]',
      'meter_event_invalid_dimension_value',
    );
    await expectInvalid(summaries(meter.id, customer, { dimension_filters: { region: 'eu' } }), 'dimension_filters[region]');
    await expectInvalid(summaries(meter.id, customer, { dimension_group_by_keys: ['model', 'region'] }), 'dimension_group_by_keys[1]');
    await expectInvalid(analytics({ customer, starts_at: hour1, ends_at: hour2, meters: [{ meter: meter.id }, { meter: meter.id, dimension_group_by_keys: ['region'] }] }), 'meters[1][dimension_group_by_keys][0]');
    await expectInvalid(analytics({ customer, starts_at: hour1, ends_at: hour2, meters: [{ meter: 'mtr_missing' }] }), 'meters[0][meter]');
    await expectInvalid(analytics({ customer, starts_at: hour1 + 1, ends_at: hour2, meters: [{ meter: meter.id }] }), 'starts_at');
    await expectInvalid(analytics({ customer, starts_at: hour1, ends_at: hour2 }), 'meters');
  });

  it('fires a usage alert with dimension filters on the matching usage only', async () => {
    const meter = await tokenMeter();
    const customer = (await stripe.customers.create(customerParams())).id;
    const params = usageAlertParams(meter, 100, { id: customer });
    const alert = (await stripe.billing.alerts.create(
      loose({ ...params, usage_threshold: { ...params.usage_threshold, dimension_filters: { model: 'large' } } }),
    )) as unknown as MeterlineAlert & { usage_threshold: { dimension_filters: Record<string, string> } };
    expect(alert.usage_threshold.dimension_filters).toEqual({ model: 'large' });
    await expectInvalid(
      stripe.billing.alerts.create(loose({ ...params, usage_threshold: { ...params.usage_threshold, dimension_filters: { region: 'eu' } } })),
      'usage_threshold[dimension_filters][region]',
    );

    const now = nowSeconds();
    await stream.v2.billing.meterEventStream.create({
      events: [event(meter, customer, '500', now, { model: 'small', token_type: 'input' }), event(meter, customer, '60', now, { model: 'large', token_type: 'input' })],
    });
    await drained(stack);
    expect(await triggersOf(stripe, alert)).toHaveLength(0);
    await stream.v2.billing.meterEventStream.create({ events: [event(meter, customer, '40', now, { model: 'large', token_type: 'output' })] });
    await drained(stack);
    const triggers = await triggersOf(stripe, alert);
    expect(triggers.map((t) => [t.customer, t.value])).toEqual([[customer, 100]]);
  });

  it('refuses, with an error report, an event that would add a 21st combination in an hour, and counts the rest', async () => {
    const meter = await tokenMeter();
    const customer = (await stripe.customers.create(customerParams())).id;
    const events = Array.from({ length: 22 }, (_, i) => event(meter, customer, '1', hour1 + i, { model: `m${String(i).padStart(2, '0')}` }, `combo-${i}`));
    await stream.v2.billing.meterEventStream.create({ events: events.slice(0, 12) });
    await drained(stack);
    await stream.v2.billing.meterEventStream.create({ events: events.slice(12) });
    // The same combination again still fits; another hour has room of its own.
    await stream.v2.billing.meterEventStream.create({
      events: [event(meter, customer, '5', hour1 + 40 * MINUTE, { model: 'm00' }), event(meter, customer, '1', hour2, { model: 'm21' })],
    });
    await drained(stack);

    const byModel = await summaries(meter.id, customer, { dimension_group_by_keys: ['model'], start_time: hour1, end_time: hour2 });
    expect(byModel).toHaveLength(20);
    expect(byModel.reduce((n, s) => n + s.aggregated_value, 0)).toBe(25);
    const [total] = await summaries(meter.id, customer, { start_time: hour1, end_time: hour2 });
    expect(total).toMatchObject({ aggregated_value: 25 });
    const [next] = await summaries(meter.id, customer, { start_time: hour2, end_time: hour2 + HOUR });
    expect(next).toMatchObject({ aggregated_value: 1 });

    expect(await reported(meter.id, 'dimension_combinations_exceeded')).toEqual(['combo-20', 'combo-21']);

    // Streamed, a dimension value that is too long is reported too, and the rest of its request counts.
    await stream.v2.billing.meterEventStream.create({
      events: [event(meter, customer, '2', hour2, { model: 'm00' }), event(meter, customer, '1', hour2, { model: 'y'.repeat(101) }, 'too-long')],
    });
    await drained(stack);
    const [after] = await summaries(meter.id, customer, { start_time: hour2, end_time: hour2 + HOUR });
    expect(after).toMatchObject({ aggregated_value: 3 });
    expect(await reported(meter.id, 'meter_event_invalid_dimension_value')).toEqual(['too-long']);
  });
});
