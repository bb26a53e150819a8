import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { IdempotencyStore } from '../../lib/http/idempotency';
import { REQUEST_LIMIT_MS } from '../../lib/http/handler';
import {
  customerParams,
  drained,
  expectInvalid,
  expectStripeError,
  meterAndCustomer,
  meterParams,
  nowSeconds,
  rawRequest,
  unique,
  usageOf,
  v1Event,
  v2Event,
} from '../fixtures/stripe';

describe('idempotent requests', () => {
  const { stack, stripe } = useStack();

  const key = () => ({ idempotencyKey: unique('idem') });
  const customersWithEmail = async (email: string) =>
    (await stripe.customers.list({ limit: 100 })).data.filter((c) => c.email === email).map((c) => c.id);

  it('replays the first response for the same key and parameters, creating one customer', async () => {
    const options = key();
    const params = customerParams();
    const first = await stripe.customers.create(params, options);
    const second = await stripe.customers.create(params, options);

    expect({ ...second }).toEqual({ ...first });
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(await customersWithEmail(params.email!)).toEqual([first.id]);
  });

  it('creates two customers for two keys with the same parameters', async () => {
    const params = customerParams();
    const first = await stripe.customers.create(params, key());
    const second = await stripe.customers.create(params, key());
    expect(second.id).not.toBe(first.id);
    expect(new Set(await customersWithEmail(params.email!))).toEqual(new Set([first.id, second.id]));
  });

  it('rejects the same key with other parameters (400 idempotency_error) and writes nothing', async () => {
    const options = key();
    const first = await stripe.customers.create(customerParams(), options);
    const other = customerParams();
    await expectStripeError(stripe.customers.create(other, options), Stripe.errors.StripeIdempotencyError, {
      statusCode: 400,
      rawType: 'idempotency_error',
    });
    expect(await customersWithEmail(other.email!)).toEqual([]);
    expect((await stripe.customers.retrieve(first.id)).id).toBe(first.id);
  });

  it('rejects the same key on another endpoint', async () => {
    const options = key();
    await stripe.customers.create(customerParams(), options);
    await expectStripeError(stripe.billing.meters.create(meterParams(), options), Stripe.errors.StripeIdempotencyError, { statusCode: 400 });
  });

  it('does not save a request that failed validation: a corrected retry with the key runs', async () => {
    const options = key();
    const params = customerParams();
    await expectInvalid(stripe.customers.create({ ...params, email: 'not-an-email' }, options), 'email');
    const created = await stripe.customers.create(params, options);
    expect(created.email).toBe(params.email);
    expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays an update without applying it twice', async () => {
    const customer = await stripe.customers.create(customerParams({ metadata: { n: '1' } }));
    const options = key();
    const first = await stripe.customers.update(customer.id, { name: 'Once' }, options);
    await stripe.customers.update(customer.id, { name: 'In between' });
    const replay = await stripe.customers.update(customer.id, { name: 'Once' }, options);
    expect(replay.name).toBe('Once');
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect({ ...replay }).toEqual({ ...first });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ name: 'In between' });
  });

  it('keeps keys apart per API key', async () => {
    const now = nowSeconds();
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'second', livemode: false, now });
    const options = key();
    const params = customerParams();
    const mine = await stripe.customers.create(params, options);
    const theirs = await stack.client(secret).customers.create(params, options);
    expect(theirs.id).not.toBe(mine.id);
  });

  it('replays a v1 meter event without counting it twice, with the same generated identifier', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    const options = key();
    const first = await stripe.billing.meterEvents.create(v1Event(meter, customer, '7'), options);
    const replay = await stripe.billing.meterEvents.create(v1Event(meter, customer, '7'), options);
    expect(replay.identifier).toBe(first.identifier);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(7);
  });

  it('replays a v2 meter event and rejects the key with another value', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    const options = key();
    const first = await stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '2'), options);
    const replay = await stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '2'), options);
    expect(replay.identifier).toBe(first.identifier);
    await expectStripeError(stripe.v2.billing.meterEvents.create(v2Event(meter, customer, '3'), options), Stripe.errors.StripeIdempotencyError, {
      statusCode: 400,
    });
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(2);
  });

  /** A form POST with `Idempotency-Key`, as raw HTTP, so that the order of its parameters is ours. */
  const post = (path: string, body: string, idempotencyKey: string) =>
    rawRequest(stack, 'POST', path, {
      headers: { authorization: `Bearer ${stack.secretKey}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': idempotencyKey },
      body,
    });

  it('compares parameters, not bytes: the same ones in another order replay, a changed query string is another request', async () => {
    const idempotencyKey = unique('idem');
    const email = `${unique('order')}@example.com`;
    const first = await post('/v1/customers', `name=Ada&email=${email}`, idempotencyKey);
    const reordered = await post('/v1/customers', `email=${email}&name=Ada`, idempotencyKey);
    expect(first.status).toBe(200);
    expect(reordered).toMatchObject({ status: 200, body: { id: first.body.id } });
    const changed = await post('/v1/customers?description=other', `name=Ada&email=${email}`, idempotencyKey);
    expect(changed).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
    expect(await customersWithEmail(email)).toEqual([first.body.id]);
  });
});

describe('an idempotent request that crashed', () => {
  let skewMs = 0;
  const { stack } = useStack({ nowMs: () => Date.now() + skewMs });

  it('holds its key while it could still be running, then lets the retry run once', async () => {
    const params = customerParams();
    const idempotencyKey = unique('crashed');
    // What a request leaves when it dies between reserving its key and answering: the reservation.
    const [apiKey] = (await stack.services.apiKeys.list()).filter((k) => !k.livemode);
    const fingerprint = IdempotencyStore.fingerprint('POST', '/v1/customers', { email: params.email, name: params.name });
    await stack.services.http.idempotency.reserve(apiKey!.id, idempotencyKey, fingerprint, stack.services.nowMs(), REQUEST_LIMIT_MS);

    await expect(stack.stripe.customers.create(params, { idempotencyKey })).rejects.toMatchObject({ statusCode: 409, rawType: 'idempotency_error' });
    skewMs = REQUEST_LIMIT_MS + 1000;
    const retried = await stack.stripe.customers.create(params, { idempotencyKey });
    expect(retried.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    const replayed = await stack.stripe.customers.create(params, { idempotencyKey });
    expect(replayed.id).toBe(retried.id);
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
    const customers = (await stack.stripe.customers.list({ limit: 100 })).data.filter((c) => c.email === params.email);
    expect(customers.map((c) => c.id)).toEqual([retried.id]);
  });
});
