import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import {
  drained,
  expectInvalid,
  expectStripeError,
  iso,
  meterAndCustomer,
  nowSeconds,
  streamClient,
  unique,
  usageOf,
  v1Event,
  v2Event,
} from '../fixtures/stripe';

describe('meter events', () => {
  const { stack, stripe } = useStack();

  describe('v1 meter events', () => {
    it('acknowledges an event with its identifier, payload and timestamp', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const timestamp = nowSeconds() - 60;
      const event = await stripe.billing.meterEvents.create(v1Event(meter, customer, '3', { identifier: 'v1-ack-1', timestamp }));
      expect(event).toMatchObject({
        object: 'billing.meter_event',
        event_name: meter.event_name,
        identifier: 'v1-ack-1',
        livemode: false,
        payload: { stripe_customer_id: customer.id, value: '3' },
        timestamp,
      });
    });

    it('generates an identifier and uses the request time when none is given', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const before = nowSeconds();
      const event = await stripe.billing.meterEvents.create(v1Event(meter, customer, '1'));
      expect(event.identifier).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.timestamp).toBeGreaterThanOrEqual(before);
      expect(event.timestamp).toBeLessThanOrEqual(nowSeconds());
    });

    it('sums the values of distinct events', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      for (const value of ['1', '2', '4']) await stripe.billing.meterEvents.create(v1Event(meter, customer, value));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(7);
    });

    it('keeps customers apart', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const other = await stripe.customers.create({ email: 'other@example.com' });
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '5'));
      await stripe.billing.meterEvents.create(v1Event(meter, other, '11'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(5);
      expect(await usageOf(stripe, meter, other)).toBe(11);
    });

    it('counts events on a count meter whatever their payload value', async () => {
      const { meter, customer } = await meterAndCustomer(stripe, 'count');
      await stripe.billing.meterEvents.create({ event_name: meter.event_name, payload: { stripe_customer_id: customer.id } });
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '250'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(2);
    });
  });

  describe('v2 meter events', () => {
    it('acknowledges a v2 event with RFC 3339 times', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const timestamp = iso(nowSeconds() - 120);
      const event = await stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '2.5', { identifier: 'v2-ack-1', timestamp }));
      expect(event).toMatchObject({
        object: 'v2.billing.meter_event',
        event_name: meter.event_name,
        identifier: 'v2-ack-1',
        livemode: false,
        payload: { stripe_customer_id: customer.id, value: '2.5' },
        timestamp,
      });
      expect(Date.parse(event.created)).not.toBeNaN();
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(2.5);
    });

    it('opens a meter event session with a token that expires in 15 minutes', async () => {
      const session = await stripe.v2.billing.meterEventSession.create();
      expect(session).toMatchObject({ object: 'v2.billing.meter_event_session', livemode: false });
      expect(session.id).toMatch(/^mes_/);
      expect(session.authentication_token).toMatch(/^mes_token_[A-Za-z0-9]{48}$/);
      expect(Date.parse(session.expires_at) - Date.parse(session.created)).toBe(15 * 60 * 1000);
    });

    it('streams 100 events in one request through a session client', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const client = await streamClient(stack);
      const events = Array.from({ length: 100 }, (_, i) => v2Event(meter, customer, String(i + 1), { identifier: unique('s') }));
      await client.v2.billing.meterEventStream.create({ events });
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(5050);
    });

    it('rejects 101 events in one stream request and counts none of them', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const client = await streamClient(stack);
      const events = Array.from({ length: 101 }, () => v2Event(meter, customer, '1'));
      await expectInvalid(client.v2.billing.meterEventStream.create({ events }), 'events');
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(0);
    });

    it('refuses the stream to a secret key: it needs a session token', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await expectStripeError(
        stripe.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, '1')] }),
        Stripe.errors.StripeAuthenticationError,
        { statusCode: 401 },
      );
    });
  });

  describe('duplicates', () => {
    it('counts an identifier repeated in the same stream request once (the first wins)', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const client = await streamClient(stack);
      const identifier = unique('dup');
      await client.v2.billing.meterEventStream.create({
        events: [v2Event(meter, customer, '5', { identifier }), v2Event(meter, customer, '7', { identifier }), v2Event(meter, customer, '1')],
      });
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(6);
    });

    it('counts an identifier sent again in a later request once', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const identifier = unique('dup');
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '3', { identifier }));
      await drained(stack);
      const again = await stripe.billing.meterEvents.create(v1Event(meter, customer, '30', { identifier }));
      expect(again.identifier).toBe(identifier);
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(3);
    });

    it('counts an identifier sent through v1, v2 and the stream at once only once', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const client = await streamClient(stack);
      const identifier = unique('dup');
      await Promise.all([
        stripe.billing.meterEvents.create(v1Event(meter, customer, '4', { identifier })),
        stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '4', { identifier })),
        client.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, '4', { identifier })] }),
      ]);
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(4);
    });

    it('treats identifiers as account-wide: the same identifier on another meter is a duplicate', async () => {
      const first = await meterAndCustomer(stripe);
      const second = await meterAndCustomer(stripe);
      const identifier = unique('dup');
      await stripe.billing.meterEvents.create(v1Event(first.meter, first.customer, '1', { identifier }));
      await drained(stack);
      await stripe.billing.meterEvents.create(v1Event(second.meter, second.customer, '1', { identifier }));
      await drained(stack);
      expect(await usageOf(stripe, first.meter, first.customer)).toBe(1);
      expect(await usageOf(stripe, second.meter, second.customer)).toBe(0);
    });
  });

  describe('values', () => {
    it('adds decimals exactly: 0.1 + 0.2 is 0.3', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '0.1'));
      await stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '0.2'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(0.3);
    });

    it('subtracts negative values as corrections', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '10'));
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '-2.5'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(7.5);
    });

    it('accepts 15 significant digits and keeps them all', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '123456789012.345'));
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '0.000000000000001'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(123456789012.345);
    });

    it('sums small and large 15-digit values without losing the small ones', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '0.00000000000001'));
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '0.00000000000002'));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(0.00000000000003);
    });

    it('rejects more than 15 decimal places, which sums could not keep exact (400 meter_event_invalid_value)', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '123456789012345'));
      for (const value of ['0.00000000000000123456789012345', '1e-131', '0.0000000000000001']) {
        await expectInvalid(stripe.billing.meterEvents.create(v1Event(meter, customer, value)), 'payload[value]', 'meter_event_invalid_value');
      }
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(123456789012345);
    });

    it('reports a streamed value with too many decimal places without holding up the rest of the request', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const client = await streamClient(stack);
      await client.v2.billing.meterEventStream.create({
        events: [v2Event(meter, customer, '123456789012345'), v2Event(meter, customer, '1e-20'), v2Event(meter, customer, '0.000000000000001')],
      });
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(123456789012345.000000000000001);
      expect(await stack.dlqDepth()).toBe(0);
    });

    it('rejects 16 significant digits through v1 and v2 (400 meter_event_invalid_value)', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await expectInvalid(stripe.billing.meterEvents.create(v1Event(meter, customer, '1234567890123.456')), 'payload[value]', 'meter_event_invalid_value');
      await expectInvalid(stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '1.234567890123456')), 'payload[value]', 'meter_event_invalid_value');
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(0);
    });
  });
});
