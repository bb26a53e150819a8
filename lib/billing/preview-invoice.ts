import type { Customer } from '../customers/customers';
import { InvalidRequestError } from '../errors';
import { period } from '../domain/periods';
import type { SubscriptionDeps } from './create-subscription';
import type { Invoice, Subscription } from './model';
import { loadSubscription } from './update-subscription';
import type { UnpricedUsage } from './invoice-builder';

/**
 * POST /v1/invoices/create_preview: the invoice the subscription's current period will close
 * with, as of now — the usage so far and, unless it ends, the next period's licensed fees.
 * Nothing is written.
 */
export function makePreviewInvoice(deps: SubscriptionDeps) {
  return async function previewInvoice(
    { customer: customerId, subscription: subscriptionId }: { customer?: string; subscription?: string },
    requestNow: number,
  ): Promise<Invoice & { unpriced_usage: UnpricedUsage[] }> {
    if (!customerId && !subscriptionId) throw new InvalidRequestError('Pass a customer or a subscription.', 'customer');
    const customer = customerId ? await deps.customers.retrieve(customerId, 'customer') : undefined;
    const stored = subscriptionId
      ? await loadSubscription(deps, subscriptionId, 'subscription')
      : await latestActive(deps, customer!.id);
    const { subscription, billing } = stored;
    if (customer && subscription.customer !== customer.id) {
      throw new InvalidRequestError(`The subscription ${subscription.id} does not belong to ${customer.id}.`, 'subscription');
    }
    if (subscription.status !== 'active') {
      throw new InvalidRequestError(`The subscription ${subscription.id} is canceled: it has no upcoming invoice.`, 'subscription', 'invoice_upcoming_none');
    }
    const now = await deps.clocks.timeOf(subscription.test_clock, requestNow);
    const current = period(billing.cycle, billing.period);
    const id = `upcoming_${subscription.id}`;
    const usageEnd = Math.min(now, current.end);
    const lines = await deps.builder.periodLines(id, stored, usageEnd, !subscription.cancel_at_period_end);
    const unpriced = await deps.builder.unpricedUsage(subscription.items.data, subscription.customer, { start: current.start, end: usageEnd });
    const owner = customer ?? (await deps.store.objects.get<Customer>('customer', subscription.customer));
    const invoice = deps.builder.draft({
      id,
      subscription,
      customer: owner,
      reason: 'upcoming',
      created: now,
      period: current,
      lines,
      finalizesAt: current.end + deps.graceSeconds,
    });
    // Meterline: the usage of the subscription's meters that none of its prices bills.
    return { ...invoice, unpriced_usage: unpriced };
  };
}

async function latestActive(deps: SubscriptionDeps, customerId: string) {
  const page = await deps.store.objects.list<Subscription>('subscription', {
    limit: 1,
    owner: customerId,
    filter: { name: 'status', value: 'active' },
  });
  const found = page.data[0];
  if (!found) throw new InvalidRequestError(`The customer ${customerId} has no active subscription to preview.`, 'customer', 'invoice_upcoming_none');
  return loadSubscription(deps, found.id);
}
