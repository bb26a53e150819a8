import qs from 'qs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { advance, afterGrace, clockedCustomer, item, licensedPrice, march, subscriptionParams, utc } from '../fixtures/billing';

async function invoicesOnClock(stripe: Stripe, clock: string, extra: Record<string, string> = {}) {
  const list = (await stripe.rawRequest('GET', `/v1/invoices?${qs.stringify({ test_clock: clock, ...extra })}`, null as never)) as unknown as Stripe.ApiList<Stripe.Invoice>;
  return list.data;
}

describe('lists by test clock: a clock’s subscriptions and the invoices they produced', () => {
  const { stack } = useStack();

  it('lists only the clock’s subscriptions and invoices, newest first, paged', async () => {
    const { stripe } = stack;
    const [a, b] = await Promise.all([clockedCustomer(stripe, march.start), clockedCustomer(stripe, march.start)]);
    const price = await licensedPrice(stripe, a.product.id);
    const ownA = [
      await stripe.subscriptions.create(subscriptionParams(a.customer, [item(price)])),
      await stripe.subscriptions.create(subscriptionParams(a.customer, [item(price, 3)])),
    ];
    await stripe.subscriptions.create(subscriptionParams(b.customer, [item(price)]));
    await advance(stripe, a.clock, afterGrace(utc(2026, 4, 1)));

    const subscriptions = await stripe.subscriptions.list({ test_clock: a.clock.id });
    expect(subscriptions.data.map((s) => s.id)).toEqual(ownA.map((s) => s.id).reverse());
    const invoices = await invoicesOnClock(stripe, a.clock.id);
    expect(invoices).toHaveLength(4);
    expect(new Set(invoices.map((i) => (i as unknown as { subscription: string }).subscription))).toEqual(new Set(ownA.map((s) => s.id)));
    expect(invoices.every((i) => i.test_clock === a.clock.id)).toBe(true);
    // Paged with starting_after, as every list.
    const first = await invoicesOnClock(stripe, a.clock.id, { limit: '3' });
    const rest = await invoicesOnClock(stripe, a.clock.id, { limit: '3', starting_after: first.at(-1)!.id });
    expect([...first, ...rest].map((i) => i.id)).toEqual(invoices.map((i) => i.id));
    // Combined with a customer or a status, both hold.
    expect(await invoicesOnClock(stripe, b.clock.id, { customer: a.customer.id })).toEqual([]);
    expect((await invoicesOnClock(stripe, a.clock.id, { status: 'open' })).map((i) => i.id)).toEqual(invoices.map((i) => i.id));
    expect(await invoicesOnClock(stripe, a.clock.id, { status: 'paid' })).toEqual([]);
  });

  it('names an unknown clock, or one of the other mode, as the test_clock parameter', async () => {
    await expect(stack.stripe.subscriptions.list({ test_clock: 'clock_none' })).rejects.toMatchObject({ statusCode: 400, param: 'test_clock', code: 'resource_missing' });
    await expect(invoicesOnClock(stack.stripe, 'clock_none')).rejects.toMatchObject({ statusCode: 400, param: 'test_clock', code: 'resource_missing' });
  });
});
