import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { drained, iso, meterAndCustomer, nowSeconds, streamClient, unique, usageOf, v2Event } from '../fixtures/stripe';

interface ErrorType {
  code: string;
  error_count: number;
  sample_errors: { error_message: string; request: { identifier: string } }[];
}

/** The error report of Stripe's `v1.billing.meter.error_report_triggered` thin event. */
type ErrorReport = Stripe.V2.Core.Event & {
  related_object: { id: string; type: string; url: string } | null;
  data: { developer_message_summary: string; reason: { error_count: number; error_types: ErrorType[] } };
};

/** Error counts and sample identifiers per code, over every report listed. */
function tally(reports: ErrorReport[]) {
  const byCode: Record<string, { count: number; identifiers: string[] }> = {};
  for (const report of reports) {
    for (const type of report.data.reason.error_types) {
      const entry = (byCode[type.code] ??= { count: 0, identifiers: [] });
      entry.count += type.error_count;
      entry.identifiers.push(...type.sample_errors.map((s) => s.request.identifier));
    }
  }
  for (const entry of Object.values(byCode)) entry.identifiers.sort();
  return byCode;
}

describe('asynchronous validation of streamed events', () => {
  const { stack, stripe } = useStack();
  let stream: Stripe;
  beforeAll(async () => {
    stream = await streamClient(stack);
  });

  const reportsFor = async (objectId?: string) => {
    const reports: ErrorReport[] = [];
    for await (const event of stripe.v2.core.events.list(objectId ? { object_id: objectId } : {})) reports.push(event as ErrorReport);
    return reports;
  };

  it('reports an event without a payload key named like an Object method, and counts the rest of its batch', async () => {
    const customer = await stripe.customers.create({ name: 'Proto' });
    const meter = await stripe.billing.meters.create({
      display_name: 'Proto keys',
      event_name: unique('proto'),
      default_aggregation: { formula: 'sum' },
      value_settings: { event_payload_key: 'toString' },
      customer_mapping: { type: 'by_id', event_payload_key: 'constructor' },
    });
    const payload = (value?: string) => ({ constructor: customer.id, ...(value === undefined ? {} : { toString: value }) });
    await stream.v2.billing.meterEventStream.create({
      events: [
        { event_name: meter.event_name, identifier: unique('ok'), payload: payload('4') },
        { event_name: meter.event_name, identifier: 'no-value', payload: payload() },
        { event_name: meter.event_name, identifier: unique('ok'), payload: payload('3') },
      ],
    });
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(7);
    expect(tally(await reportsFor(meter.id))).toEqual({ meter_event_value_not_found: { count: 1, identifiers: ['no-value'] } });
    expect(await stack.dlqDepth()).toBe(0);
    // Sent synchronously (v2, JSON), the same event is a 400 naming the missing key.
    await expect(stripe.v2.billing.meterEvents.create({ event_name: meter.event_name, payload: payload() })).rejects.toMatchObject({
      statusCode: 400,
      code: 'meter_event_value_not_found',
      param: 'payload[toString]',
    });
  });

  it('accepts the stream request, counts only valid events and reports the others on the meter', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    await stream.v2.billing.meterEventStream.create({
      events: [
        v2Event(meter, customer, '5', { identifier: 'ok-1' }),
        v2Event(meter, { id: 'cus_missing1' }, '1', { identifier: 'no-customer-1' }),
        v2Event(meter, { id: 'cus_missing2' }, '1', { identifier: 'no-customer-2' }),
        v2Event(meter, customer, 'abc', { identifier: 'bad-value-1' }),
        v2Event(meter, customer, '12345678901234567', { identifier: 'bad-value-2' }),
        v2Event(meter, customer, '1', { identifier: 'too-old-1', timestamp: iso(nowSeconds() - 36 * 86_400) }),
        { event_name: meter.event_name, payload: { value: '1' }, identifier: 'no-customer-key-1' },
      ],
    });
    await drained(stack);

    expect(await usageOf(stripe, meter, customer)).toBe(5);
    const reports = await reportsFor(meter.id);
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report).toMatchObject({
        object: 'v2.core.event',
        type: 'v1.billing.meter.error_report_triggered',
        livemode: false,
        related_object: { id: meter.id, type: 'billing.meter', url: `/v1/billing/meters/${meter.id}` },
      });
      expect(report.id).toMatch(/^evt_/);
    }
    expect(reports.reduce((n, r) => n + r.data.reason.error_count, 0)).toBe(6);
    expect(tally(reports)).toEqual({
      meter_event_customer_not_found: { count: 2, identifiers: ['no-customer-1', 'no-customer-2'] },
      meter_event_invalid_value: { count: 2, identifiers: ['bad-value-1', 'bad-value-2'] },
      timestamp_too_far_in_past: { count: 1, identifiers: ['too-old-1'] },
      meter_event_no_customer_defined: { count: 1, identifiers: ['no-customer-key-1'] },
    });
  });

  it('reports events for an unknown event_name as no_meter_found, with no related meter', async () => {
    const { customer } = await meterAndCustomer(stripe);
    const identifier = unique('no-meter');
    await stream.v2.billing.meterEventStream.create({ events: [v2Event({ event_name: unique('nobody') }, customer, '1', { identifier })] });
    await drained(stack);

    const mine = (await reportsFor()).filter((r) =>
      r.data.reason.error_types.some((t) => t.sample_errors.some((s) => s.request.identifier === identifier)),
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'v1.billing.meter.no_meter_found', related_object: null });
    expect(tally(mine)).toEqual({ no_meter: { count: 1, identifiers: [identifier] } });
  });

  it('keeps sample identifiers to five per error code but counts every failure', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    const events = Array.from({ length: 8 }, (_, i) => v2Event(meter, customer, 'NaN', { identifier: `nan-${i}` }));
    await stream.v2.billing.meterEventStream.create({ events });
    await drained(stack);

    // One request is one queue message, validated in one batch: one report.
    const reports = await reportsFor(meter.id);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.data.reason.error_count).toBe(8);
    expect(tally(reports)).toEqual({ meter_event_invalid_value: { count: 8, identifiers: ['nan-0', 'nan-1', 'nan-2', 'nan-3', 'nan-4'] } });
    expect(await usageOf(stripe, meter, customer)).toBe(0);
  });

  it('lists nothing for a meter whose events were all valid', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    await stream.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, '2'), v2Event(meter, customer, '3')] });
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(5);
    expect(await reportsFor(meter.id)).toEqual([]);
  });
});
