import type { Customer } from '../customers/customers';
import { newId } from '../domain/ids';
import { eventPut } from '../events/events';
import type { BillingStore } from './billing-store';
import type { TransactItem } from '../store/dynamo';
import type { InvoiceBuilder, Period } from './invoice-builder';
import type { BillingReason, PendingDraft, StoredSubscription } from './model';

export interface DraftDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  graceSeconds: number;
  nowMs: () => number;
}

export interface DraftRequest {
  reason: BillingReason;
  /** When the invoice is created (a period end, or a cancellation). */
  at: number;
  /** The usage it bills: the current period from its start to here. */
  usage: Period;
  /** Whether it also bills the next period's licensed fees in advance. */
  withNextFees: boolean;
  /** Claim the one invoice of (subscription, `at`): period closes do, a cancellation's version check suffices. */
  claim: boolean;
}

/**
 * A draft invoice for the subscription's current period, held for the grace period so late
 * usage still lands on it: the writes that create it and the reminder the subscription keeps
 * to finalize it. Undefined when the invoice would have no line at all.
 */
export async function draftInvoice(deps: DraftDeps, stored: StoredSubscription, request: DraftRequest) {
  const { subscription } = stored;
  const id = newId('invoice', deps.nowMs());
  const lines = await deps.builder.periodLines(id, stored, request.usage.end, request.withNextFees);
  if (!lines.length) return undefined;
  const customer = await deps.store.objects.get<Customer>('customer', subscription.customer);
  const finalizeAt = request.at + deps.graceSeconds;
  const invoice = deps.builder.draft({
    id,
    subscription,
    customer,
    reason: request.reason,
    created: request.at,
    period: request.usage,
    lines,
    finalizesAt: finalizeAt,
  });
  const writes: TransactItem[] = [
    deps.store.invoicePut(invoice, null),
    eventPut(deps.store.tableName, { type: 'invoice.created', object: invoice, created: request.at, nowMs: deps.nowMs() }),
  ];
  if (request.claim) writes.push(deps.store.invoiceClaim(subscription.id, request.at, id));
  const reminder: PendingDraft = { invoice: id, finalize_at: finalizeAt };
  return { invoice, reminder, writes };
}
