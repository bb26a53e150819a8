import { eventPut } from '../events/events';
import type { ApplyCredits } from '../credits/apply-credits';
import type { BillingStore, TransactItem } from './billing-store';
import type { InvoiceBuilder } from './invoice-builder';
import type { Invoice, Subscription } from './model';

export interface FinalizeDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  applyCredits: ApplyCredits;
  nowMs: () => number;
}

/** A readable invoice number from the random part of the id (unique like the id). */
const invoiceNumber = (invoice: Invoice) => `ML-${invoice.id.slice(-10).toUpperCase()}`;

/**
 * The invoice finalized at `at`, with the writes that record it: metered lines are re-priced
 * from the usage recorded by now (late usage within the grace period lands here; nothing changes
 * the invoice afterwards), the customer's credit grants pay what they can of the metered lines,
 * the status becomes open (paid when nothing is due), and `invoice.finalized` is emitted. The
 * invoice write is conditioned on the invoice still being a draft, and each grant spent on its
 * version, so a second finalization fails instead of billing (or spending credits) twice.
 */
export async function finalizeInvoice(
  deps: FinalizeDeps,
  draft: Invoice,
  subscription: Subscription | undefined,
  at: number,
  options: { isNew?: boolean } = {},
): Promise<{ invoice: Invoice; writes: TransactItem[] }> {
  const repriced = subscription && draft.billing_reason !== 'subscription_create' ? await deps.builder.refreshUsage(draft, subscription) : draft;
  const { invoice: priced, writes: credits } = await deps.applyCredits(repriced, at);
  const paid = priced.amount_due === 0;
  const invoice: Invoice = {
    ...priced,
    status: paid ? 'paid' : 'open',
    automatically_finalizes_at: null,
    effective_at: at,
    ending_balance: 0,
    number: invoiceNumber(priced),
    status_transitions: { ...priced.status_transitions, finalized_at: at, paid_at: paid ? at : null },
  };
  const event = (type: string) => eventPut(deps.store.tableName, { type, object: invoice, created: at, nowMs: deps.nowMs() });
  const writes = [
    deps.store.invoicePut(invoice, options.isNew ? null : 'draft'),
    deps.store.invoicedTotalUpdate(invoice, 1),
    ...credits,
    event('invoice.finalized'),
  ];
  if (paid) writes.push(event('invoice.paid'));
  return { invoice, writes };
}
