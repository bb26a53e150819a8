import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import {
  acceptedRange,
  customerParams,
  DAY,
  drained,
  expectInvalid,
  expectStripeError,
  HOUR,
  iso,
  loose,
  meterParams,
  MINUTE,
  nowSeconds,
  streamClient,
  unique,
  usageOf,
  v1Event,
  v2Event,
} from '../fixtures/stripe';

/** One invalid request: what it sends and the parameter (and code) the 400 must name. */
interface Case {
  name: string;
  send: () => Promise<unknown>;
  param: string;
  code?: string;
}

const long = (n: number) => 'x'.repeat(n);
const manyKeys = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

describe('bad input', () => {
  const { stack, stripe } = useStack();
  let stream: Stripe;
  let meter: Stripe.Billing.Meter;
  let customer: Stripe.Customer;
  let deleted: Stripe.Customer;
  /** The one event counted on `meter` for `customer`. */
  let baseline: Stripe.Billing.MeterEvent;

  beforeAll(async () => {
    stream = await streamClient(stack);
    meter = await stripe.billing.meters.create(meterParams());
    customer = await stripe.customers.create(customerParams({ metadata: manyKeys(45, 'm') }));
    deleted = await stripe.customers.create(customerParams());
    await stripe.customers.del(deleted.id);
    baseline = await stripe.billing.meterEvents.create(v1Event(meter, customer, '5', { identifier: unique('baseline') }));
    await drained(stack);
  });

  const customerIds = async () => (await stripe.customers.list({ limit: 100 })).data.map((c) => c.id);
  const meterIds = async () => (await stripe.billing.meters.list({ limit: 100 })).data.map((m) => m.id);
  /** After a rejected ingest request: nothing reaches the queue, the usage is still the baseline. */
  const expectUsageUnchanged = async () => {
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(5);
  };

  describe('customers.create', () => {
    const cases: Case[] = [
      { name: 'an invalid email', send: () => stripe.customers.create(customerParams({ email: 'not-an-email' })), param: 'email' },
      { name: 'a name over 256 characters', send: () => stripe.customers.create(customerParams({ name: long(257) })), param: 'name' },
      { name: 'a phone over 20 characters', send: () => stripe.customers.create(customerParams({ phone: long(21) })), param: 'phone' },
      {
        name: 'a metadata key over 40 characters',
        send: () => stripe.customers.create(customerParams({ metadata: { [long(41)]: 'v' } })),
        param: `metadata[${long(41)}]`,
      },
      {
        name: 'a metadata value over 500 characters',
        send: () => stripe.customers.create(customerParams({ metadata: { note: long(501) } })),
        param: 'metadata[note]',
      },
      { name: 'more than 50 metadata keys', send: () => stripe.customers.create(customerParams({ metadata: manyKeys(51) })), param: 'metadata' },
      {
        name: 'an unknown parameter',
        send: () => stripe.customers.create(loose({ ...customerParams(), nickname: 'ada' })),
        param: 'nickname',
        code: 'parameter_unknown',
      },
    ];
    it.each(cases)('rejects $name (400, param $param) and creates nothing', async ({ send, param, code }) => {
      const before = await customerIds();
      await expectInvalid(send(), param, code);
      expect(await customerIds()).toEqual(before);
    });
  });

  describe('customers.update', () => {
    const cases: Case[] = [
      { name: 'an invalid email', send: () => stripe.customers.update(customer.id, { email: 'ada@' }), param: 'email' },
      {
        name: 'a metadata value over 500 characters',
        send: () => stripe.customers.update(customer.id, { name: 'Renamed', metadata: { note: long(501) } }),
        param: 'metadata[note]',
      },
      {
        name: 'metadata that would exceed 50 keys',
        send: () => stripe.customers.update(customer.id, { name: 'Renamed', metadata: manyKeys(6, 'extra') }),
        param: 'metadata',
      },
      {
        name: 'an unknown parameter',
        send: () => stripe.customers.update(customer.id, loose({ name: 'Renamed', nickname: 'ada' })),
        param: 'nickname',
        code: 'parameter_unknown',
      },
    ];
    it.each(cases)('rejects $name (400, param $param) and changes nothing', async ({ send, param, code }) => {
      const before = { ...(await stripe.customers.retrieve(customer.id)) };
      await expectInvalid(send(), param, code);
      expect({ ...(await stripe.customers.retrieve(customer.id)) }).toEqual(before);
    });
  });

  describe('billing.meters.create', () => {
    const without = (name: keyof Stripe.Billing.MeterCreateParams) => {
      const params: Record<string, unknown> = { ...meterParams() };
      delete params[name];
      return loose<Stripe.Billing.MeterCreateParams>(params);
    };
    const cases: Case[] = [
      { name: 'no display_name', send: () => stripe.billing.meters.create(without('display_name')), param: 'display_name', code: 'parameter_missing' },
      { name: 'no event_name', send: () => stripe.billing.meters.create(without('event_name')), param: 'event_name', code: 'parameter_missing' },
      {
        name: 'no default_aggregation',
        send: () => stripe.billing.meters.create(without('default_aggregation')),
        param: 'default_aggregation',
        code: 'parameter_missing',
      },
      {
        name: 'an unknown formula',
        send: () => stripe.billing.meters.create(meterParams({ default_aggregation: loose({ formula: 'avg' }) })),
        param: 'default_aggregation[formula]',
      },
      { name: 'an event_name with spaces', send: () => stripe.billing.meters.create(meterParams({ event_name: 'has spaces' })), param: 'event_name' },
      {
        name: 'a customer_mapping without type',
        send: () => stripe.billing.meters.create(meterParams({ customer_mapping: loose({ event_payload_key: 'account' }) })),
        param: 'customer_mapping[type]',
        code: 'parameter_missing',
      },
      {
        name: 'the same payload key for customer and value',
        send: () =>
          stripe.billing.meters.create(
            meterParams({ customer_mapping: { event_payload_key: 'k', type: 'by_id' }, value_settings: { event_payload_key: 'k' } }),
          ),
        param: 'value_settings[event_payload_key]',
      },
      {
        name: 'an unknown event_time_window',
        send: () => stripe.billing.meters.create(meterParams({ event_time_window: loose('week') })),
        param: 'event_time_window',
      },
      {
        name: 'an unknown parameter',
        send: () => stripe.billing.meters.create(loose({ ...meterParams(), currency: 'usd' })),
        param: 'currency',
        code: 'parameter_unknown',
      },
      {
        name: 'an unknown nested parameter',
        send: () => stripe.billing.meters.create(meterParams({ default_aggregation: loose({ formula: 'sum', weight: '2' }) })),
        param: 'default_aggregation[weight]',
        code: 'parameter_unknown',
      },
    ];
    it.each(cases)('rejects $name (400, param $param) and creates nothing', async ({ send, param, code }) => {
      const before = await meterIds();
      await expectInvalid(send(), param, code);
      expect(await meterIds()).toEqual(before);
    });

    it('leaves the event_name of a rejected meter free', async () => {
      const eventName = unique('retry');
      const invalid = meterParams({ event_name: eventName, default_aggregation: loose({ formula: 'avg' }) });
      await expectInvalid(stripe.billing.meters.create(invalid), 'default_aggregation[formula]');
      const created = await stripe.billing.meters.create(meterParams({ event_name: eventName }));
      expect(created.event_name).toBe(eventName);
    });
  });

  describe('billing.meters.update', () => {
    const cases: Case[] = [
      { name: 'an empty display_name', send: () => stripe.billing.meters.update(meter.id, { display_name: '' }), param: 'display_name' },
      { name: 'a display_name over 250 characters', send: () => stripe.billing.meters.update(meter.id, { display_name: long(251) }), param: 'display_name' },
      {
        name: 'an event_name (it cannot change)',
        send: () => stripe.billing.meters.update(meter.id, loose({ display_name: 'Renamed', event_name: unique('other') })),
        param: 'event_name',
        code: 'parameter_unknown',
      },
    ];
    it.each(cases)('rejects $name (400, param $param) and changes nothing', async ({ send, param, code }) => {
      const before = { ...(await stripe.billing.meters.retrieve(meter.id)) };
      await expectInvalid(send(), param, code);
      expect({ ...(await stripe.billing.meters.retrieve(meter.id)) }).toEqual(before);
    });
  });

  describe('v1 meter events', () => {
    const send = (params: Record<string, unknown>) => stripe.billing.meterEvents.create(loose(params));
    const event = (value: string, overrides: Record<string, unknown> = {}) => ({ ...v1Event(meter, customer, value), ...overrides });
    const cases: Case[] = [
      { name: 'no event_name', send: () => send({ payload: { stripe_customer_id: customer.id, value: '1' } }), param: 'event_name', code: 'parameter_missing' },
      { name: 'no payload', send: () => send({ event_name: meter.event_name }), param: 'payload', code: 'parameter_missing' },
      { name: 'an event_name without a meter', send: () => send(event('1', { event_name: unique('nobody') })), param: 'event_name', code: 'no_meter' },
      {
        name: 'no customer in the payload',
        send: () => send(event('1', { payload: { value: '1' } })),
        param: 'payload[stripe_customer_id]',
        code: 'meter_event_no_customer_defined',
      },
      {
        name: 'an unknown customer',
        send: () => send(event('1', { payload: { stripe_customer_id: 'cus_unknown', value: '1' } })),
        param: 'payload[stripe_customer_id]',
        code: 'meter_event_customer_not_found',
      },
      {
        name: 'a deleted customer',
        send: () => send(event('1', { payload: { stripe_customer_id: deleted.id, value: '1' } })),
        param: 'payload[stripe_customer_id]',
        code: 'meter_event_customer_not_found',
      },
      {
        name: 'no value in the payload',
        send: () => send(event('1', { payload: { stripe_customer_id: customer.id } })),
        param: 'payload[value]',
        code: 'meter_event_value_not_found',
      },
      { name: 'a value that is not a number', send: () => send(event('12abc')), param: 'payload[value]', code: 'meter_event_invalid_value' },
      { name: 'a value of 16 significant digits', send: () => send(event('1234567890123456')), param: 'payload[value]', code: 'meter_event_invalid_value' },
      {
        name: 'a timestamp older than 35 days',
        send: () => send(event('1', { timestamp: nowSeconds() - 35 * DAY - HOUR })),
        param: 'timestamp',
        code: 'timestamp_too_far_in_past',
      },
      {
        name: 'a timestamp over 5 minutes ahead',
        send: () => send(event('1', { timestamp: nowSeconds() + 10 * MINUTE })),
        param: 'timestamp',
        code: 'timestamp_in_future',
      },
      { name: 'a timestamp that is not an integer', send: () => send(event('1', { timestamp: 'yesterday' })), param: 'timestamp' },
      { name: 'an identifier over 100 characters', send: () => send(event('1', { identifier: long(101) })), param: 'identifier' },
      { name: 'an unknown parameter', send: () => send(event('1', { customer: customer.id })), param: 'customer', code: 'parameter_unknown' },
    ];
    it.each(cases)('rejects $name (400, param $param) and counts nothing', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
      await expectUsageUnchanged();
    });
  });

  describe('v2 meter events', () => {
    const send = (params: Record<string, unknown>) => stripe.v2.billing.meterEvents.create(loose(params));
    const event = (value: string, overrides: Record<string, unknown> = {}) => ({ ...v2Event(meter, customer, value), ...overrides });
    const cases: Case[] = [
      { name: 'a timestamp that is not a time', send: () => send(event('1', { timestamp: 'not-a-time' })), param: 'timestamp', code: 'timestamp_invalid' },
      {
        name: 'a timestamp older than 35 days',
        send: () => send(event('1', { timestamp: iso(nowSeconds() - 36 * DAY) })),
        param: 'timestamp',
        code: 'timestamp_too_far_in_past',
      },
      { name: 'a value that is not a number', send: () => send(event('one')), param: 'payload[value]', code: 'meter_event_invalid_value' },
      {
        name: 'a payload value that is not a string',
        send: () => send(event('1', { payload: { stripe_customer_id: customer.id, value: { amount: 1 } } })),
        param: 'payload[value]',
      },
      { name: 'an unknown parameter', send: () => send(event('1', { dimensions: { region: 'eu' } })), param: 'dimensions', code: 'parameter_unknown' },
    ];
    it.each(cases)('rejects $name (400, param $param) and counts nothing', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
      await expectUsageUnchanged();
    });
  });

  describe('the v2 meter event stream', () => {
    const sendBody = (body: Record<string, unknown>) => stream.v2.billing.meterEventStream.create(loose(body));
    const send = (events: unknown) => sendBody({ events });
    const good = () => v2Event(meter, customer, '1');
    const cases: Case[] = [
      { name: 'no events', send: () => sendBody({}), param: 'events', code: 'parameter_missing' },
      { name: 'an empty list', send: () => send([]), param: 'events' },
      { name: 'more than 100 events', send: () => send(Array.from({ length: 101 }, good)), param: 'events' },
      {
        name: 'an event without event_name',
        send: () => send([good(), good(), { payload: good().payload }]),
        param: 'events[2][event_name]',
        code: 'parameter_missing',
      },
      {
        name: 'an event without payload',
        send: () => send([good(), { event_name: meter.event_name }]),
        param: 'events[1][payload]',
        code: 'parameter_missing',
      },
      {
        name: 'a payload value that is not a string',
        send: () => send([good(), { ...good(), payload: { stripe_customer_id: customer.id, value: [1] } }]),
        param: 'events[1][payload][value]',
      },
      { name: 'an identifier over 100 characters', send: () => send([{ ...good(), identifier: long(101) }]), param: 'events[0][identifier]' },
      { name: 'an unknown event parameter', send: () => send([good(), { ...good(), meter: meter.id }]), param: 'events[1][meter]', code: 'parameter_unknown' },
      { name: 'an unknown parameter', send: () => sendBody({ events: [good()], batch: 'x' }), param: 'batch', code: 'parameter_unknown' },
    ];
    it.each(cases)('rejects $name (400, param $param) and counts none of the events', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
      await expectUsageUnchanged();
    });
  });

  describe('meter event adjustments', () => {
    const cancel = (params: Record<string, unknown>) => stripe.billing.meterEventAdjustments.create(loose(params));
    const cancelV2 = (params: Record<string, unknown>) => stripe.v2.billing.meterEventAdjustments.create(loose(params));
    const valid = () => ({ event_name: meter.event_name, type: 'cancel', cancel: { identifier: baseline.identifier } });
    const cases: Case[] = [
      { name: 'a type other than cancel', send: () => cancel({ ...valid(), type: 'delete' }), param: 'type' },
      { name: 'no cancel', send: () => cancel({ event_name: meter.event_name, type: 'cancel' }), param: 'cancel', code: 'parameter_missing' },
      { name: 'no identifier (v2)', send: () => cancelV2({ ...valid(), cancel: {} }), param: 'cancel[identifier]', code: 'parameter_missing' },
      { name: 'an event_name without a meter', send: () => cancel({ ...valid(), event_name: unique('nobody') }), param: 'event_name', code: 'no_meter' },
      { name: 'an unknown parameter', send: () => cancel({ ...valid(), reason: 'oops' }), param: 'reason', code: 'parameter_unknown' },
      {
        name: 'an unknown parameter in cancel (v2)',
        send: () => cancelV2({ ...valid(), cancel: { identifier: baseline.identifier, all: true } }),
        param: 'cancel[all]',
        code: 'parameter_unknown',
      },
      {
        name: 'no event_name (v2)',
        send: () => cancelV2({ type: 'cancel', cancel: { identifier: baseline.identifier } }),
        param: 'event_name',
        code: 'parameter_missing',
      },
    ];
    it.each(cases)('rejects $name (400, param $param) and cancels nothing', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
      await expectUsageUnchanged();
    });
  });

  describe('meter event summaries', () => {
    const range = acceptedRange();
    const whole = { start_time: range.start, end_time: range.end };
    const list = (params: Record<string, unknown>) =>
      stripe.billing.meters.listEventSummaries(meter.id, loose({ customer: customer.id, ...params }));
    const cases: Case[] = [
      { name: 'no customer', send: () => list({ ...whole, customer: undefined }), param: 'customer', code: 'parameter_missing' },
      { name: 'no start_time', send: () => list({ end_time: range.end }), param: 'start_time', code: 'parameter_missing' },
      { name: 'a start_time that is not an integer', send: () => list({ start_time: 'today', end_time: range.end }), param: 'start_time' },
      { name: 'a start_time off the minute', send: () => list({ start_time: range.start + 1, end_time: range.end }), param: 'start_time' },
      { name: 'an end_time off the minute', send: () => list({ start_time: range.start, end_time: range.end - 1 }), param: 'end_time' },
      { name: 'an end_time before start_time', send: () => list({ start_time: range.end, end_time: range.start }), param: 'end_time' },
      { name: 'an unknown grouping window', send: () => list({ ...whole, value_grouping_window: 'week' }), param: 'value_grouping_window' },
      { name: 'a limit of 0', send: () => list({ ...whole, limit: 0 }), param: 'limit' },
      { name: 'an unknown parameter', send: () => list({ ...whole, formula: 'sum' }), param: 'formula', code: 'parameter_unknown' },
    ];
    it.each(cases)('rejects $name (400, param $param)', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
      expect(await usageOf(stripe, meter, customer, range)).toBe(5);
    });

    it('answers 400 resource_missing (param customer) for an unknown customer, as Stripe does for a parameter', async () => {
      await expectStripeError(list({ ...whole, customer: 'cus_unknown' }), Stripe.errors.StripeInvalidRequestError, {
        statusCode: 400,
        code: 'resource_missing',
        param: 'customer',
      });
    });
  });

  describe('list parameters', () => {
    const cases: Case[] = [
      { name: 'a customers limit of 0', send: () => stripe.customers.list({ limit: 0 }), param: 'limit' },
      { name: 'a customers limit of 101', send: () => stripe.customers.list({ limit: 101 }), param: 'limit' },
      { name: 'a limit that is not an integer', send: () => stripe.customers.list(loose({ limit: 'ten' })), param: 'limit' },
      {
        name: 'both starting_after and ending_before',
        send: () => stripe.customers.list({ starting_after: customer.id, ending_before: customer.id }),
        param: 'ending_before',
      },
      { name: 'an unknown list parameter', send: () => stripe.customers.list(loose({ sort: 'asc' })), param: 'sort', code: 'parameter_unknown' },
      { name: 'a meters limit of 101', send: () => stripe.billing.meters.list({ limit: 101 }), param: 'limit' },
      { name: 'an unknown meter status', send: () => stripe.billing.meters.list(loose({ status: 'archived' })), param: 'status' },
      { name: 'a v2 events limit of 0', send: () => stripe.v2.core.events.list({ object_id: meter.id, limit: 0 }), param: 'limit' },
    ];
    it.each(cases)('rejects $name (400, param $param)', async ({ send, param, code }) => {
      await expectInvalid(send(), param, code);
    });
  });

  it('answers 404 url_invalid for an unknown route', async () => {
    const response = await fetch(`${stack.url}/v1/unicorns`, { headers: { authorization: `Bearer ${stack.secretKey}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'url_invalid' } });
  });

  it('answers 400 for a malformed JSON body and writes nothing', async () => {
    const before = await customerIds();
    const response = await fetch(`${stack.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'body_invalid' } });
    expect(await customerIds()).toEqual(before);
  });
});
