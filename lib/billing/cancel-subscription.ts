import { InvalidRequestError } from '../errors';
import { period } from '../domain/periods';
import { eventPut } from '../events/events';
import type { SubscriptionDeps } from './create-subscription';
import { draftInvoice } from './draft-invoice';
import type { StoredSubscription, Subscription } from './model';
import { loadSubscription } from './update-subscription';

/**
 * Cancels every active subscription of a customer, without final invoices: what deleting a
 * customer does (as in Stripe).
 */
export function makeCancelCustomerSubscriptions(deps: SubscriptionDeps, cancel: ReturnType<typeof makeCancelSubscription>) {
  return async function cancelCustomerSubscriptions(customerId: string, requestNow: number): Promise<void> {
    const active = deps.store.objects.pages<Subscription>('subscription', { owner: customerId, filter: { name: 'status', value: 'active' } });
    for await (const page of active) {
      for (const subscription of page) await cancel(subscription.id, {}, requestNow);
    }
  };
}

export const FEEDBACK = ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused'] as const;

/** DELETE /v1/subscriptions/:id. */
export interface CancelSubscriptionCommand {
  invoice_now?: boolean;
  prorate?: boolean;
  cancellation_details?: { comment?: string | null; feedback?: (typeof FEEDBACK)[number] | '' | null };
}

/**
 * DELETE /v1/subscriptions/:id: ends the subscription now. With `invoice_now`, the usage of the
 * current period so far goes on a final invoice, which stays draft for the grace period like
 * any closed period's invoice; without it, that usage is not billed (as in Stripe).
 */
export function makeCancelSubscription(deps: SubscriptionDeps) {
  return async function cancelSubscription(id: string, command: CancelSubscriptionCommand, requestNow: number): Promise<Subscription> {
    const invoiceNow = command.invoice_now ?? false;
    const comment = command.cancellation_details?.comment ?? null;
    const feedback = command.cancellation_details?.feedback || null;
    const stored = await loadSubscription(deps, id);
    const { subscription, billing } = stored;
    if (subscription.status !== 'active') {
      throw new InvalidRequestError(`The subscription ${id} is already canceled.`, undefined, 'subscription_canceled');
    }
    const now = await deps.clocks.timeOf(subscription.test_clock, requestNow);
    const current = period(billing.cycle, billing.period);
    // No (subscription, boundary) claim: a cancel may happen at an instant that already has one
    // (creation, a closed boundary); the version condition below makes this invoice unique.
    const draft = invoiceNow
      ? await draftInvoice(deps, stored, { reason: 'subscription_update', at: now, usage: { start: current.start, end: now }, withNextFees: false, claim: false })
      : undefined;
    const drafts = draft ? [...billing.drafts, draft.reminder] : billing.drafts;
    const writes = draft ? [...draft.writes] : [];
    const latest = draft?.invoice.id ?? subscription.latest_invoice;
    const canceled: Subscription = {
      ...subscription,
      status: 'canceled',
      canceled_at: now,
      ended_at: now,
      cancel_at: null,
      latest_invoice: latest,
      cancellation_details: { comment, feedback, reason: 'cancellation_requested' },
    };
    const next: StoredSubscription = { ...stored, subscription: canceled, billing: { ...billing, drafts, ended_items: [] } };
    writes.push(
      deps.store.subscriptionPut(next, stored.version),
      eventPut(deps.store.tableName, { type: 'customer.subscription.deleted', object: canceled, created: now, nowMs: deps.nowMs() }),
    );
    if (!(await deps.store.transact(writes))) {
      throw new InvalidRequestError('The subscription changed while it was being canceled; retry.', undefined, 'lock_timeout');
    }
    return canceled;
  };
}
