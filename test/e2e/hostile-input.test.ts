import fc from 'fast-check';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { customerParams, meterParams, rawRequest } from '../fixtures/stripe';

/** Keys that reach Object.prototype when a parser is careless. */
const PROTOTYPE_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'prototype', 'isPrototypeOf'];
const ODD_NUMBERS = ['1e400', '-1e400', 'NaN', 'Infinity', '-0', '0x10', '１２', '9'.repeat(400), '1.5', '-1', '1e-400', '00012', ' 7 '];
const PARAM_NAMES = ['name', 'email', 'metadata', 'customer', 'price', 'unit_amount', 'event_name', 'payload', 'items', 'amount', 'url', 'frozen_time', 'display_name', 'currency', 'product'];

/** A hostile form body: prototype keys, deep nesting, huge values, odd numbers, bad escapes, long ids, too many parameters. */
const hostileForm = fc.oneof(
  fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.constantFrom(...PROTOTYPE_KEYS)).map(([p, k]) => `${p}[${k}]=x`),
  fc.constantFrom(...PROTOTYPE_KEYS).map((k) => `${k}=x&${k}[a]=1`),
  fc.constantFrom('__proto__[polluted]=1', 'metadata[__proto__][x]=1', 'a[__proto__]=1', '__proto__=1'),
  fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.integer({ min: 7, max: 40 })).map(([p, n]) => `${p}${'[a]'.repeat(n)}=1`),
  fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.integer({ min: 5_000, max: 1_200_000 })).map(([p, n]) => `${p}=${'x'.repeat(n)}`),
  fc.integer({ min: 2_000, max: 4_000 }).map((n) => `customer=cus_${'a'.repeat(n)}&price=price_${'b'.repeat(n)}`),
  fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.constantFrom(...ODD_NUMBERS)).map(([p, v]) => `${p}=${encodeURIComponent(v)}`),
  fc.constantFrom('name=%FF%FE', 'name=%E0%A4%A', 'na%ZZme=1', 'metadata[%C0%AF]=1', '%=1', 'email=%00'),
  fc.constant(Array.from({ length: 10_001 }, (_, i) => `p${i}=1`).join('&')),
  fc.constant(`metadata[${'k'.repeat(3000)}]=v`),
);

const isJsonNumber = (text: string) => /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text);

/** A hostile JSON body: deep nesting, prototype keys, huge or odd values. */
const hostileJson = fc.oneof(
  fc.integer({ min: 7, max: 5_000 }).map((n) => `{"metadata":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  fc.integer({ min: 7, max: 5_000 }).map((n) => `{"events":${'['.repeat(n)}${']'.repeat(n)}}`),
  fc.constantFrom(...PROTOTYPE_KEYS).map((k) => `{"${k}":{"polluted":true}}`),
  fc.constantFrom('{"__proto__":{"admin":true}}', '{"metadata":{"__proto__":"x"}}', '{"payload":{"__proto__":"x"}}'),
  fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.constantFrom(...ODD_NUMBERS), fc.boolean()).map(([p, v, bare]) => `{"${p}":${bare && isJsonNumber(v) ? v : JSON.stringify(v)}}`),
  fc.constant(`{"event_name":"x","payload":{"value":"${'9'.repeat(1_100_000)}"}}`),
  fc.constant('{"name":"\uD800"}'),
);

describe('hostile input', () => {
  const { stack, stripe } = useStack();
  let routes: string[];

  beforeAll(async () => {
    const customer = await stripe.customers.create(customerParams());
    const meter = await stripe.billing.meters.create(meterParams());
    const product = await stripe.products.create({ name: 'Hostile' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100, recurring: { interval: 'month' } });
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const grant = await stripe.billing.creditGrants.create({ customer: customer.id, amount: { type: 'monetary', monetary: { currency: 'usd', value: 100 } }, category: 'paid', applicability_config: { scope: { price_type: 'metered' } } });
    routes = [
      '/v1/customers',
      `/v1/customers/${customer.id}`,
      '/v1/billing/meters',
      `/v1/billing/meters/${meter.id}`,
      '/v1/products',
      `/v1/products/${product.id}`,
      '/v1/prices',
      `/v1/prices/${price.id}`,
      '/v1/subscriptions',
      `/v1/subscriptions/${subscription.id}`,
      '/v1/invoices/create_preview',
      '/v1/billing/credit_grants',
      `/v1/billing/credit_grants/${grant.id}`,
      '/v1/billing/alerts',
      '/v1/webhook_endpoints',
      '/v1/billing/meter_events',
      '/v2/billing/meter_events',
      '/v1/billing/meter_event_adjustments',
      '/v1/test_helpers/test_clocks',
      `/v1/customers/cus_${'x'.repeat(3000)}`,
    ];
  });

  const newestEvent = async () => (await stripe.events.list({ limit: 1 })).data[0]?.id;
  const post = (path: string, body: string, json: boolean) =>
    rawRequest(stack, 'POST', path, {
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body,
    });

  it('never answers a 5xx, names a parameter in every 4xx, and writes nothing when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000 }),
        fc.oneof(hostileForm.map((body) => ({ body, json: false })), hostileJson.map((body) => ({ body, json: true }))),
        async (r, { body, json }) => {
          const path = routes[r % routes.length]!;
          const before = await newestEvent();
          const { status, body: answer } = await post(path, body, json);
          const context = `${status} POST ${path} ${body.slice(0, 120)} -> ${JSON.stringify(answer).slice(0, 300)}`;
          expect(status, context).toBeLessThan(500);
          if (status >= 400) {
            expect(answer.error?.type, context).toBe('invalid_request_error');
            if (status !== 404) expect(typeof answer.error?.param === 'string' && answer.error.param.length > 0, context).toBe(true);
            expect(await newestEvent(), context).toBe(before);
          }
        },
      ),
      { numRuns: 250, seed: 20261204 },
    );
  });

  it('keeps metadata keys named like Object\'s properties, from form and JSON bodies alike', async () => {
    const form = await post('/v1/customers', 'metadata[constructor]=a&metadata[toString]=b&metadata[valueOf]=c', false);
    expect(form).toMatchObject({ status: 200, body: { metadata: { constructor: 'a', toString: 'b', valueOf: 'c' } } });
    const json = await post('/v1/customers', JSON.stringify({ metadata: { constructor: 'a', hasOwnProperty: 'b' } }), true);
    expect(json).toMatchObject({ status: 200, body: { metadata: { constructor: 'a', hasOwnProperty: 'b' } } });
    const read = await stripe.customers.retrieve(json.body.id as string);
    expect((read as Stripe.Customer).metadata).toEqual({ constructor: 'a', hasOwnProperty: 'b' });
  });

  it('refuses what it would otherwise drop: __proto__ parameters and more than 10,000 parameters', async () => {
    const before = await newestEvent();
    for (const body of ['__proto__[x]=1&name=Ada', 'name=Ada&metadata[__proto__]=x']) {
      const { status, body: answer } = await post('/v1/customers', body, false);
      expect(status).toBe(400);
      expect(answer.error).toMatchObject({ code: 'parameter_unknown' });
    }
    const many = await post('/v1/customers', Array.from({ length: 10_001 }, (_, i) => `metadata[k${i}]=v`).join('&'), false);
    expect(many.status).toBe(400);
    expect(await newestEvent()).toBe(before);
  });

  it('answers a malformed percent-escape or an id too long to be a key with a 404, not a 5xx, with a key or without', async () => {
    for (const path of ['/v1/customers/%E0%A4%A', `/v1/customers/cus_${'a'.repeat(3000)}`, `/v1/billing/meters/mtr_${'%F0'.repeat(10)}`]) {
      for (const headers of [{ authorization: `Bearer ${stack.secretKey}` }, {} as Record<string, string>]) {
        const { status, body } = await rawRequest(stack, 'GET', path, { headers });
        expect(status, path).toBeLessThan(500);
        expect(body.error?.type, path).toBe('invalid_request_error');
      }
    }
  });

  it('refuses a meter event too large to ever be queued with a 400 naming its payload, not a 503 to retry', async () => {
    const customer = await stripe.customers.create(customerParams());
    const meter = await stripe.billing.meters.create(meterParams());
    const huge = { event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value: '1', note: 'x'.repeat(1_000_000) } };
    await expect(stripe.billing.meterEvents.create(huge)).rejects.toMatchObject({ statusCode: 400, param: 'payload' });
    await expect(stripe.v2.billing.meterEvents.create(huge)).rejects.toMatchObject({ statusCode: 400, param: 'payload' });
  });
});
