import qs from 'qs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { advance, afterGrace, clockedCustomer, invoicesOf, item, licensedPrice, march, subscriptionParams, utc } from '../fixtures/billing';
import { expectInvalid } from '../fixtures/stripe';
import type { InvoicedTotal } from '../../lib/billing/billing-store';

async function invoicedIn(stripe: Stripe, month: string): Promise<InvoicedTotal[]> {
  const list = (await stripe.rawRequest('GET', `/v1/billing/invoiced_totals?${qs.stringify({ month })}`, null as never)) as unknown as { data: InvoicedTotal[] };
  return list.data;
}

const totalsOf = (totals: InvoicedTotal[]) => totals.map(({ currency, total, amount_due, invoice_count }) => ({ currency, total, amount_due, invoice_count }));

describe('GET /v1/billing/invoiced_totals (what was invoiced in a month, per currency)', () => {
  const { stack } = useStack();

  it('adds each invoice to the month it was finalized in, per currency, and takes voided ones back', async () => {
    const { stripe } = stack;
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const usd = await licensedPrice(stripe, product.id, { unit_amount: 1250 });
    const jpy = await licensedPrice(stripe, product.id, { currency: 'jpy', unit_amount: 3000 });
    const inUsd = await stripe.subscriptions.create(subscriptionParams(customer, [item(usd, 2)]));
    await stripe.subscriptions.create(subscriptionParams(customer, [item(jpy, 1)]));

    // The first invoices are finalized at creation, in March.
    expect(totalsOf(await invoicedIn(stripe, '2026-03'))).toEqual([
      { currency: 'jpy', total: 3000, amount_due: 3000, invoice_count: 1 },
      { currency: 'usd', total: 2500, amount_due: 2500, invoice_count: 1 },
    ]);

    // April's invoices (for the period starting April 1) are finalized after the grace period, in April.
    await advance(stripe, clock, afterGrace(utc(2026, 4, 1)));
    expect(totalsOf(await invoicedIn(stripe, '2026-04'))).toEqual([
      { currency: 'jpy', total: 3000, amount_due: 3000, invoice_count: 1 },
      { currency: 'usd', total: 2500, amount_due: 2500, invoice_count: 1 },
    ]);

    // Voiding March's dollar invoice takes it back from March only.
    const [marchUsd] = (await invoicesOf(stripe, inUsd)).filter((invoice) => invoice.billing_reason === 'subscription_create');
    await stripe.invoices.voidInvoice(marchUsd!.id);
    expect(totalsOf(await invoicedIn(stripe, '2026-03'))).toEqual([
      { currency: 'jpy', total: 3000, amount_due: 3000, invoice_count: 1 },
      { currency: 'usd', total: 0, amount_due: 0, invoice_count: 0 },
    ]);
    expect(await invoicedIn(stripe, '2026-04')).toHaveLength(2);
    expect(await invoicedIn(stripe, '2026-05')).toEqual([]);
  });

  it('counts only the caller’s mode', async () => {
    const now = Math.floor(stack.services.nowMs() / 1000);
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now });
    expect(await invoicedIn(stack.client(secret), '2026-03')).toEqual([]);
  });

  it('refuses a month that is not YYYY-MM, naming the parameter', async () => {
    await expectInvalid(invoicedIn(stack.stripe, '2026-13'), 'month');
    await expectInvalid(invoicedIn(stack.stripe, 'March'), 'month');
    await expectInvalid(stack.stripe.rawRequest('GET', '/v1/billing/invoiced_totals', null as never), 'month', 'parameter_missing');
  });
});
