import { eventPut } from '../events/events';
import type { ApplyCredits } from './apply-credits';
import { withStripeDefaults, type Customer, type DeletedCustomer } from '../customers/customers';
import { invoiceNumber } from '../customers/invoice-details';
import type { BillingStore } from './billing-store';
import type { TransactItem } from '../store/dynamo';
import { hostedTokenPut, newHostedToken } from './hosted-invoice-token';
import type { InvoiceBuilder } from './invoice-builder';
import type { Invoice, Subscription } from './model';

export interface FinalizeDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  applyCredits: ApplyCredits;
  nowMs: () => number;
}

/**
 * The invoice's number and the write that takes it: the customer's prefix and next sequence
 * number, advanced on condition that nobody took it first (a second finalization racing for the
 * same number fails its transaction and is retried). A customer deleted meanwhile has no
 * sequence to advance: its invoice is numbered from its own id, which is just as unique.
 */
function numbering(store: BillingStore, invoice: Invoice, customer: Customer | undefined): { number: string; writes: TransactItem[] } {
  if (!customer) return { number: `ML-${invoice.id.slice(-10).toUpperCase()}`, writes: [] };
  const sequence = customer.next_invoice_sequence;
  return {
    number: invoiceNumber(customer.invoice_prefix, sequence),
    writes: [
      {
        Update: {
          TableName: store.tableName,
          Key: store.objects.keys.object('customer', customer.id),
          UpdateExpression: 'SET #o.#seq = :next, #o.#prefix = if_not_exists(#o.#prefix, :prefix)',
          ConditionExpression: 'attribute_exists(#o.#id) AND (attribute_not_exists(#o.#seq) OR #o.#seq = :seq)',
          ExpressionAttributeNames: { '#o': 'object', '#seq': 'next_invoice_sequence', '#prefix': 'invoice_prefix', '#id': 'id' },
          ExpressionAttributeValues: { ':seq': sequence, ':next': sequence + 1, ':prefix': customer.invoice_prefix },
        },
      },
    ],
  };
}

/**
 * The invoice finalized at `at`, with the writes that record it: metered lines are re-priced
 * from the usage recorded by now (late usage within the grace period lands here; nothing changes
 * the invoice afterwards), the customer's credit grants pay what they can of the metered lines,
 * the status becomes open (paid when nothing is due), the customer's details and next invoice
 * number are taken, the hosted page and PDF get their unguessable token, and `invoice.finalized`
 * is emitted. The invoice write is conditioned on the invoice still being a draft, each grant
 * spent on its version and the number on the customer's sequence, so a second finalization fails
 * instead of billing (or spending credits, or numbering) twice.
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
  // Read consistently: the number taken must be the customer's latest sequence.
  const stored = await deps.store.objects.get<Customer | DeletedCustomer>('customer', draft.customer, true);
  const customer = stored && !('deleted' in stored) ? withStripeDefaults(stored) : undefined;
  const { number, writes: numbered } = numbering(deps.store, priced, customer);
  const token = newHostedToken();
  const paid = priced.amount_due === 0;
  const invoice: Invoice = {
    ...priced,
    ...(customer ? deps.builder.customerDetails(customer) : {}),
    ...deps.builder.documentUrls(token),
    status: paid ? 'paid' : 'open',
    automatically_finalizes_at: null,
    effective_at: at,
    ending_balance: 0,
    number,
    status_transitions: { ...priced.status_transitions, finalized_at: at, paid_at: paid ? at : null },
  };
  const event = (type: string) => eventPut(deps.store.tableName, { type, object: invoice, created: at, nowMs: deps.nowMs() });
  const writes = [
    deps.store.invoicePut(invoice, options.isNew ? null : 'draft'),
    deps.store.invoicedTotalUpdate(invoice, 1),
    hostedTokenPut(deps.store.tableName, token, invoice),
    ...numbered,
    ...credits,
    event('invoice.finalized'),
  ];
  if (paid) writes.push(event('invoice.paid'));
  return { invoice, writes };
}
