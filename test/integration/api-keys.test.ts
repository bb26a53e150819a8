import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { useStack } from '../support/stack';
import { ApiKeys, KEY_CACHE_SECONDS } from '../../lib/auth/api-keys';

describe('API keys', () => {
  const { stack } = useStack();
  const now = () => Math.floor(Date.now() / 1000);

  it('stores only the hash of a secret', async () => {
    const { secret, record } = await stack.services.apiKeys.create({ type: 'secret', name: 'hashed', livemode: false, now: now() });
    const listed = (await stack.services.apiKeys.list()).find((k) => k.id === record.id)!;
    expect(listed.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('rejects a revoked key with 401', async () => {
    const { secret, record } = await stack.services.apiKeys.create({ type: 'secret', name: 'revoked', livemode: false, now: now() });
    const client = stack.client(secret);
    await expect(client.customers.list()).resolves.toMatchObject({ object: 'list' });
    expect(await stack.services.apiKeys.revokeById(record.id, now())).toBe(true);
    await expect(client.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('gives a restricted key its scope and nothing else', async () => {
    const { secret } = await stack.services.apiKeys.create({
      type: 'restricted',
      name: 'events only',
      livemode: false,
      scopes: ['meter_events:write'],
      now: now(),
    });
    expect(secret).toMatch(/^rk_test_/);
    const client = stack.client(secret);
    await expect(client.v2.billing.meterEventSession.create()).resolves.toMatchObject({ object: 'v2.billing.meter_event_session' });
    await expect(client.billing.meters.list()).rejects.toMatchObject({ statusCode: 403 });
  });

  it('accepts the key as the HTTP basic user name, as Stripe does', async () => {
    const response = await fetch(`${stack.url}/v1/customers`, {
      headers: { authorization: `Basic ${Buffer.from(`${stack.secretKey}:`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
  });

  it('stops a key revoked elsewhere, and the meter event sessions it made, within the key cache\'s seconds', async () => {
    const { secret } = await stack.services.apiKeys.create({ type: 'restricted', name: 'revoked elsewhere', livemode: false, scopes: ['meter_events:write'], now: now() });
    const session = await stack.client(secret).v2.billing.meterEventSession.create();
    const stream = stack.client(session.authentication_token);
    const events = { events: [{ event_name: 'anything', payload: { stripe_customer_id: 'cus_x', value: '1' } }] };
    await expect(stream.v2.billing.meterEventStream.create(events)).resolves.toBeDefined();
    // As `npm run keys -- revoke` does, from another process: this stack's cache does not hear of it.
    const elsewhere = new ApiKeys(stack.services.db, stack.services.config.mainTableName);
    expect(await elsewhere.revoke(secret, now())).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_SECONDS * 1000 + 200));
    await expect(stack.client(secret).v2.billing.meterEventSession.create()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(stream.v2.billing.meterEventStream.create(events)).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('lets a read_only key read every object and change none (403)', async () => {
    const customer = await stack.stripe.customers.create({ name: 'Readable' });
    const { secret } = await stack.services.apiKeys.create({ type: 'restricted', name: 'support', livemode: false, scopes: ['read_only'], now: now() });
    expect(secret).toMatch(/^rk_test_/);
    const reader = stack.client(secret);
    await expect(reader.customers.retrieve(customer.id)).resolves.toMatchObject({ id: customer.id, name: 'Readable' });
    await expect(reader.customers.list({ limit: 1 })).resolves.toMatchObject({ object: 'list' });
    await expect(reader.invoices.list()).resolves.toMatchObject({ object: 'list' });
    await expect(reader.events.list()).resolves.toMatchObject({ object: 'list' });
    for (const write of [
      () => reader.customers.create({ name: 'Nope' }),
      () => reader.customers.update(customer.id, { name: 'Nope' }),
      () => reader.customers.del(customer.id),
      () => reader.billing.meterEvents.create({ event_name: 'x', payload: { stripe_customer_id: customer.id, value: '1' } }),
    ]) {
      await expect(write()).rejects.toMatchObject({ statusCode: 403 });
    }
    await expect(stack.stripe.customers.retrieve(customer.id)).resolves.toMatchObject({ name: 'Readable' });
  });
});
