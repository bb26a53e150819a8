import Stripe from 'stripe';
import { describe, expect } from 'vitest';
import type { Step } from '../../lib/billing/advance-subscription';
import { decimal } from '../fixtures/catalog';
import { HOUR } from '../fixtures/stripe';
import { advance, clockedCustomer, GRACE, invoicesOf, item, march, meteredPrice, newMeter, subscriptionParams, usage, utc } from '../fixtures/billing';
import { it, type StartStack } from '../support/stack';

/**
 * Credits under concurrency: several invoices of one customer finalizing at the same moment, by
 * workers whose reads of the grant all happen before any of them commits. Whatever the
 * interleaving, the credits applied add up to at most what the grant held, and the grant's
 * ledger adds up to what is left of it.
 */

/** Each subscription's March usage: 400 units at 3 cents, 12.00 USD. */
const UNITS = '400';
const INVOICE_CENTS = 1200;

/** Holds every finalization step until `parties` of them have read what they need, then lets them all commit at once. */
function barrier(parties: number) {
  let waiting: (() => void)[] = [];
  return async (step: Step) => {
    if (step.kind !== 'finalize') return;
    await new Promise<void>((release) => {
      waiting.push(release);
      if (waiting.length >= parties) {
        waiting.forEach((r) => r());
        waiting = [];
      }
      // A re-planned step after a lost race goes through alone.
      setTimeout(release, 300);
    });
  };
}

describe('credits under concurrent finalization', () => {
  /** A customer with `count` subscriptions, each with 12.00 USD of March usage, and one grant of `grantCents`; the clock stops after March closes, before the drafts finalize. */
  async function raceSetup(startStack: StartStack, count: number, grantCents: number, expiresAt?: number) {
    const stack = await startStack({ invoiceGraceSeconds: GRACE, beforeBillingCommit: barrier(count) });
    const { stripe } = stack;
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const price = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('3') });
    const subscriptions: Stripe.Subscription[] = [];
    for (let i = 0; i < count; i++) subscriptions.push(await stripe.subscriptions.create(subscriptionParams(customer, [item(price)])));
    const grant = await stripe.billing.creditGrants.create({
      customer: customer.id,
      amount: { type: 'monetary', monetary: { currency: 'usd', value: grantCents } },
      applicability_config: { scope: { price_type: 'metered' } },
      expires_at: expiresAt,
    });
    await advance(stripe, clock, utc(2026, 3, 21));
    // One event per subscription: usage is per customer and meter, so each invoice bills it all once more.
    await usage(stack, meter, customer, [[UNITS, utc(2026, 3, 10)]]);
    await advance(stripe, clock, march.end + 60);
    return { stack, stripe, customer, subscriptions, grant, finalizeAt: march.end + GRACE + HOUR };
  }

  async function credited(stripe: Stripe, subscriptions: Stripe.Subscription[]) {
    const invoices = await Promise.all(subscriptions.map(async (sub) => (await invoicesOf(stripe, sub)).find((invoice) => invoice.billing_reason === 'subscription_cycle')!));
    for (const invoice of invoices) {
      expect(invoice.status).not.toBe('draft');
      expect(invoice.subtotal).toBe(INVOICE_CENTS);
      const credits = invoice.total_pretax_credit_amounts!.reduce((sum, credit) => sum + credit.amount, 0);
      expect(invoice.total).toBe(INVOICE_CENTS - credits);
      expect(invoice.amount_due).toBe(invoice.total);
    }
    return invoices.map((invoice) => invoice.total_pretax_credit_amounts!.reduce((sum, credit) => sum + credit.amount, 0));
  }

  async function ledgerOf(stripe: Stripe, customer: Stripe.Customer, grant: Stripe.Billing.CreditGrant) {
    const entries: Stripe.Billing.CreditBalanceTransaction[] = [];
    for await (const entry of stripe.billing.creditBalanceTransactions.list({ customer: customer.id, credit_grant: grant.id, limit: 100 })) entries.push(entry);
    const balance = entries.reduce((sum, e) => sum + (e.type === 'credit' ? e.credit!.amount.monetary!.value : -e.debit!.amount.monetary!.value), 0);
    const summary = await stripe.billing.creditBalanceSummaries.retrieve({ customer: customer.id, filter: { type: 'credit_grant', credit_grant: grant.id } });
    return { entries, balance, summary: summary.balances[0]!.ledger_balance.monetary!.value };
  }

  it('two invoices finalizing at once never spend more than the grant holds', async ({ startStack }) => {
    const { stack, stripe, customer, subscriptions, grant, finalizeAt } = await raceSetup(startStack, 2, 1000);
    const billing = stack.services.test.billing;
    await Promise.all(subscriptions.map((sub) => billing.advanceSubscription(sub.id, finalizeAt)));

    const credits = await credited(stripe, subscriptions);
    expect(credits.sort((a, b) => a - b)).toEqual([0, 1000]);
    const ledger = await ledgerOf(stripe, customer, grant);
    expect(ledger.entries.map((e) => e.credit?.type ?? e.debit?.type).sort()).toEqual(['credits_applied', 'credits_granted']);
    expect([ledger.balance, ledger.summary]).toEqual([0, 0]);
  });

  it('workers, duplicate jobs and manual finalizations racing over three invoices spend the grant exactly once', async ({ startStack }) => {
    const { stack, stripe, customer, subscriptions, grant, finalizeAt } = await raceSetup(startStack, 3, 2000);
    const billing = stack.services.test.billing;
    const attempts = subscriptions.flatMap((sub) => [
      billing.advanceSubscription(sub.id, finalizeAt),
      billing.advanceSubscription(sub.id, finalizeAt),
    ]);
    const drafts = await Promise.all(subscriptions.map(async (sub) => (await invoicesOf(stripe, sub)).find((invoice) => invoice.status === 'draft')!));
    const manual = drafts.map((draft) => stripe.invoices.finalizeInvoice(draft.id).catch((error: Stripe.errors.StripeError) => error));
    await Promise.all([...attempts, ...manual]);
    // Whatever lost its race against the finalization is finished by the worker.
    await Promise.all(subscriptions.map((sub) => billing.advanceSubscription(sub.id, finalizeAt)));

    const credits = await credited(stripe, subscriptions);
    expect(credits.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(credits.every((c) => c <= INVOICE_CENTS)).toBe(true);
    const ledger = await ledgerOf(stripe, customer, grant);
    expect(ledger.entries.filter((e) => e.debit?.type === 'credits_applied').reduce((s, e) => s + e.debit!.amount.monetary!.value, 0)).toBe(2000);
    expect([ledger.balance, ledger.summary]).toEqual([0, 0]);
  });

  it('an expiry job that runs before an earlier finalization first lets that invoice spend the grant', async ({ startStack }) => {
    const expiresAt = march.end + GRACE + 2 * HOUR;
    const { stack, stripe, customer, subscriptions, grant } = await raceSetup(startStack, 1, 2000, expiresAt);
    // The grant's expiry job is handled first, although the invoice finalizes an hour before the expiry.
    await stack.services.test.billing.advanceDue(grant.id, expiresAt + HOUR);

    expect(await credited(stripe, subscriptions)).toEqual([INVOICE_CENTS]);
    const ledger = await ledgerOf(stripe, customer, grant);
    const kinds = ledger.entries.map((e) => [e.credit?.type ?? e.debit?.type, (e.credit ?? e.debit)!.amount.monetary!.value, e.effective_at]);
    expect(kinds).toEqual([
      ['credits_expired', 2000 - INVOICE_CENTS, expiresAt],
      ['credits_applied', INVOICE_CENTS, march.end + GRACE],
      ['credits_granted', 2000, march.start],
    ]);
    expect([ledger.balance, ledger.summary]).toEqual([0, 0]);
  });
});
