import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import {
  customerParams,
  drained,
  expectStripeError,
  meterAndCustomer,
  nowSeconds,
  rawRequest,
  streamClient,
  usageOf,
  v1Event,
  v2Event,
} from '../fixtures/stripe';

describe('authentication', () => {
  const { stack, stripe } = useStack();
  let restricted: Stripe;
  beforeAll(async () => {
    const { secret } = await stack.services.apiKeys.create({
      type: 'restricted',
      name: 'rk',
      livemode: false,
      scopes: ['meter_events:write'],
      now: nowSeconds(),
    });
    expect(secret).toMatch(/^rk_test_/);
    restricted = stack.client(secret);
  });

  const unauthorized = { statusCode: 401, rawType: 'invalid_request_error' };
  const forbidden = { statusCode: 403, rawType: 'invalid_request_error' };

  describe('without a key', () => {
    it('answers 401 api_key_missing', async () => {
      const response = await rawRequest(stack, 'GET', '/v1/customers');
      expect(response.status).toBe(401);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'api_key_missing' });
    });

    it('makes the SDK throw StripeAuthenticationError', async () => {
      // An authenticator that adds no Authorization header: the SDK itself refuses an empty key.
      const noKey = { authenticator: async () => {} };
      await expectStripeError(stripe.customers.list({}, noKey), Stripe.errors.StripeAuthenticationError, { ...unauthorized, code: 'api_key_missing' });
      await expectStripeError(stripe.customers.create(customerParams(), noKey), Stripe.errors.StripeAuthenticationError, unauthorized);
    });

    it('still serves the health check', async () => {
      expect(await rawRequest(stack, 'GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    });
  });

  describe('with a wrong key', () => {
    it('answers 401 (StripeAuthenticationError) and does not echo the key', async () => {
      const wrong = `sk_test_${'x'.repeat(48)}`;
      const error = await expectStripeError(stack.client(wrong).customers.list(), Stripe.errors.StripeAuthenticationError, {
        ...unauthorized,
        code: 'api_key_invalid',
      });
      expect(error.message).not.toContain(wrong);
    });

    it('answers 401 for a key of the wrong shape', async () => {
      await expectStripeError(stack.client('not-a-key').customers.create(customerParams()), Stripe.errors.StripeAuthenticationError, unauthorized);
    });

    it('answers 401 for a revoked key', async () => {
      const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'revoked', livemode: false, now: nowSeconds() });
      await stack.services.apiKeys.revoke(secret, nowSeconds());
      await expectStripeError(stack.client(secret).customers.list(), Stripe.errors.StripeAuthenticationError, unauthorized);
    });
  });

  describe('with the secret key', () => {
    it('accepts it as a bearer token and as the basic-auth user name', async () => {
      const bearer = await rawRequest(stack, 'GET', '/v1/customers?limit=1', { headers: { authorization: `Bearer ${stack.secretKey}` } });
      const basic = await rawRequest(stack, 'GET', '/v1/customers?limit=1', {
        headers: { authorization: `Basic ${Buffer.from(`${stack.secretKey}:`).toString('base64')}` },
      });
      expect(bearer.status).toBe(200);
      expect(basic.status).toBe(200);
      expect(basic.body).toEqual(bearer.body);
    });
  });

  describe('with a restricted key holding meter_events:write', () => {
    it('sends v1, v2 and streamed meter events that count', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await restricted.billing.meterEvents.create(v1Event(meter, customer, '1'));
      await restricted.v2.billing.meterEvents.create(v2Event(meter, customer, '10'));
      const stream = await streamClient(stack, restricted);
      await stream.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, '100')] });
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(111);
    });

    it('cancels its own events', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const event = await restricted.billing.meterEvents.create(v1Event(meter, customer, '4'));
      await drained(stack);
      await restricted.billing.meterEventAdjustments.create({ event_name: meter.event_name, type: 'cancel', cancel: { identifier: event.identifier } });
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(0);
    });

    it('gets 403 (StripePermissionError) on customers.create and creates nothing', async () => {
      const params = customerParams();
      const error = await expectStripeError(restricted.customers.create(params), Stripe.errors.StripePermissionError, forbidden);
      expect(error.message).not.toContain(stack.secretKey);
      const emails = (await stripe.customers.list({ limit: 100 })).data.map((c) => c.email);
      expect(emails).not.toContain(params.email);
    });

    it('gets 403 on reads outside its scope: customers, meters and summaries', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await expectStripeError(restricted.customers.list(), Stripe.errors.StripePermissionError, forbidden);
      await expectStripeError(restricted.billing.meters.retrieve(meter.id), Stripe.errors.StripePermissionError, forbidden);
      await expectStripeError(
        restricted.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: 0, end_time: 60 }),
        Stripe.errors.StripePermissionError,
        forbidden,
      );
    });
  });

  describe('with a meter event session token', () => {
    it('cannot call anything but the stream (401)', async () => {
      const stream = await streamClient(stack);
      await expectStripeError(stream.customers.list(), Stripe.errors.StripeAuthenticationError, unauthorized);
      await expectStripeError(stream.v2.billing.meterEventSession.create(), Stripe.errors.StripeAuthenticationError, unauthorized);
    });

    it('is refused when forged (401)', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const forged = stack.client(`mes_token_${'A'.repeat(48)}`);
      await expectStripeError(
        forged.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, '1')] }),
        Stripe.errors.StripeAuthenticationError,
        unauthorized,
      );
    });
  });
});
