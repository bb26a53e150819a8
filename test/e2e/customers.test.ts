import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { customerParams, expectStripeError, nowSeconds, unique } from '../fixtures/stripe';

describe('customers', () => {
  const { stack, stripe } = useStack();

  const allCustomerIds = async () => (await stripe.customers.list({ limit: 100 })).data.map((c) => c.id);

  it('creates a customer with its fields, metadata and a cus_ id', async () => {
    const before = nowSeconds();
    const customer = await stripe.customers.create(
      customerParams({ email: 'grace@example.com', name: 'Grace Hopper', description: 'Navy', phone: '+15555550100', metadata: { plan: 'pro' } }),
    );
    expect(customer.id).toMatch(/^cus_[A-Za-z0-9]{24}$/);
    expect(customer).toMatchObject({
      object: 'customer',
      email: 'grace@example.com',
      name: 'Grace Hopper',
      description: 'Navy',
      phone: '+15555550100',
      metadata: { plan: 'pro' },
      livemode: false,
      test_clock: null,
    });
    expect(customer.created).toBeGreaterThanOrEqual(before);
    expect(customer.created).toBeLessThanOrEqual(nowSeconds());
  });

  it('lists the customers with an email, following a change of email, from an index (no scan)', async () => {
    const email = `${unique('find')}@example.com`;
    const first = await stripe.customers.create({ email, name: 'First' });
    const other = await stripe.customers.create({ email: `${unique('other')}@example.com` });
    const second = await stripe.customers.create({ email: 'moving@example.com' });
    await stripe.customers.update(second.id, { email });
    const found = await stripe.customers.list({ email, limit: 10 });
    expect(found.data.map((c) => c.id)).toEqual([second.id, first.id]);
    expect(found.data.map((c) => c.id)).not.toContain(other.id);
    expect((await stripe.customers.list({ email: 'moving@example.com' })).data).toEqual([]);
    await stripe.customers.del(first.id);
    expect((await stripe.customers.list({ email })).data.map((c) => c.id)).toEqual([second.id]);
  });

  it('lists the customers of a test clock, optionally with one email', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: nowSeconds() });
    const email = `${unique('clocked')}@example.com`;
    const first = await stripe.customers.create({ test_clock: clock.id, email });
    const second = await stripe.customers.create({ test_clock: clock.id });
    await stripe.customers.create({ email });
    expect((await stripe.customers.list({ test_clock: clock.id })).data.map((c) => c.id)).toEqual([second.id, first.id]);
    expect((await stripe.customers.list({ test_clock: clock.id, email })).data.map((c) => c.id)).toEqual([first.id]);
    await expect(stripe.customers.list({ test_clock: 'clock_none' })).rejects.toMatchObject({ statusCode: 400, param: 'test_clock', code: 'resource_missing' });
  });

  it('retrieves the customer it created', async () => {
    const created = await stripe.customers.create(customerParams({ metadata: { team: 'compilers' } }));
    const retrieved = await stripe.customers.retrieve(created.id);
    expect(retrieved).toMatchObject({ id: created.id, email: created.email, name: 'Ada Lovelace', metadata: { team: 'compilers' } });
  });

  it('answers 404 resource_missing for an unknown customer', async () => {
    await expectStripeError(stripe.customers.retrieve('cus_doesnotexist'), Stripe.errors.StripeInvalidRequestError, {
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
    });
  });

  it('updates fields and keeps the ones it was not given', async () => {
    const created = await stripe.customers.create(customerParams({ name: 'Ada', description: 'first' }));
    const updated = await stripe.customers.update(created.id, { name: 'Ada Byron' });
    expect(updated).toMatchObject({ id: created.id, name: 'Ada Byron', description: 'first', email: created.email });
    expect(await stripe.customers.retrieve(created.id)).toMatchObject({ name: 'Ada Byron', description: 'first' });
  });

  it('clears a field sent as an empty string', async () => {
    const created = await stripe.customers.create(customerParams({ description: 'to be cleared' }));
    const updated = await stripe.customers.update(created.id, { description: '' });
    expect(updated.description).toBeNull();
  });

  it('sets, overwrites and unsets metadata keys one by one', async () => {
    const created = await stripe.customers.create(customerParams({ metadata: { plan: 'pro', region: 'eu', seats: '3' } }));
    const updated = await stripe.customers.update(created.id, { metadata: { plan: 'enterprise', region: '', owner: 'ops' } });
    expect(updated.metadata).toEqual({ plan: 'enterprise', seats: '3', owner: 'ops' });
    const retrieved = (await stripe.customers.retrieve(created.id)) as Stripe.Customer;
    expect(retrieved.metadata).toEqual({ plan: 'enterprise', seats: '3', owner: 'ops' });
  });

  it('clears all metadata when metadata is an empty string', async () => {
    const created = await stripe.customers.create(customerParams({ metadata: { plan: 'pro', region: 'eu' } }));
    const updated = await stripe.customers.update(created.id, { metadata: '' });
    expect(updated.metadata).toEqual({});
  });

  it('deletes a customer: retrieve shows deleted: true and lists omit it', async () => {
    const created = await stripe.customers.create(customerParams());
    expect(await allCustomerIds()).toContain(created.id);

    const deleted = await stripe.customers.del(created.id);
    expect(deleted).toMatchObject({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toMatchObject({ id: created.id, deleted: true });
    expect(await allCustomerIds()).not.toContain(created.id);
  });

  it('answers 404 when updating or deleting a deleted customer', async () => {
    const created = await stripe.customers.create(customerParams());
    await stripe.customers.del(created.id);
    await expectStripeError(stripe.customers.update(created.id, { name: 'Zombie' }), Stripe.errors.StripeInvalidRequestError, {
      statusCode: 404,
      code: 'resource_missing',
    });
    await expectStripeError(stripe.customers.del(created.id), Stripe.errors.StripeInvalidRequestError, { statusCode: 404, code: 'resource_missing' });
  });

  describe('list', () => {
    const PAGE = 2;
    let everyone: Stripe.Customer[];
    let newest: Stripe.Customer[];

    beforeAll(async () => {
      newest = [];
      for (let i = 0; i < 12; i++) newest.push(await stripe.customers.create(customerParams({ name: `Batch ${i}` })));
      everyone = (await stripe.customers.list({ limit: 100 })).data;
    });

    it('shows the newest customers first, in creation order even within one second', () => {
      const created = everyone.map((c) => c.created);
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(everyone.slice(0, newest.length).map((c) => c.id)).toEqual([...newest].reverse().map((c) => c.id));
    });

    it('answers 400 resource_missing naming the cursor when starting_after is not a customer', async () => {
      const error = await stripe.customers.list({ starting_after: 'cus_unknown' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ statusCode: 400, param: 'starting_after', code: 'resource_missing' });
    });

    it('returns the list envelope with at most `limit` customers and has_more', async () => {
      const page = await stripe.customers.list({ limit: PAGE });
      expect(page).toMatchObject({ object: 'list', url: '/v1/customers', has_more: true });
      expect(page.data.map((c) => c.id)).toEqual(everyone.slice(0, PAGE).map((c) => c.id));
    });

    it('defaults to ten customers per page', async () => {
      expect(everyone.length).toBeGreaterThan(10);
      expect((await stripe.customers.list()).data.map((c) => c.id)).toEqual(everyone.slice(0, 10).map((c) => c.id));
    });

    it('walks every page with starting_after, has_more false on the last one', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await stripe.customers.list({ limit: PAGE, ...(cursor ? { starting_after: cursor } : {}) });
        seen.push(...page.data.map((c) => c.id));
        expect(page.has_more).toBe(seen.length < everyone.length);
        if (!page.has_more) break;
        cursor = page.data.at(-1)!.id;
      }
      expect(seen).toEqual(everyone.map((c) => c.id));
    });

    it('walks back with ending_before, still newest first', async () => {
      const page = await stripe.customers.list({ limit: PAGE, ending_before: everyone[4]!.id });
      expect(page.data.map((c) => c.id)).toEqual([everyone[2]!.id, everyone[3]!.id]);
      expect(page.has_more).toBe(true);
      const first = await stripe.customers.list({ limit: PAGE, ending_before: everyone[2]!.id });
      expect(first.data.map((c) => c.id)).toEqual([everyone[0]!.id, everyone[1]!.id]);
      expect(first.has_more).toBe(false);
    });

    it('auto-paginates with for await over the SDK list', async () => {
      const ids: string[] = [];
      for await (const customer of stripe.customers.list({ limit: PAGE })) ids.push(customer.id);
      expect(ids).toEqual(everyone.map((c) => c.id));
    });
  });
});
