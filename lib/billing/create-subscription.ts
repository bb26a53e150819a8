import { InvalidRequestError } from '../errors';
import { newId } from '../domain/ids';
import { retryLostRaces } from '../domain/concurrency';
import { Money } from '../domain/money';
import { period, prorationFactor, shiftByIntervals, type BillingCycle } from '../domain/periods';
import { applyMetadata, type MetadataUpdate } from '../metadata';
import type { Customers } from '../customers/customers';
import type { Prices } from '../catalog/prices';
import { eventPut } from '../events/events';
import { WALL_CLOCK } from '../store/keys';
import type { ApplyCredits } from './apply-credits';
import type { BillingStore } from './billing-store';
import { finalizeInvoice } from './finalize-invoice';
import { isMetered } from '../catalog/prices';
import type { InvoiceBuilder } from './invoice-builder';
import type { StoredSubscription, Subscription } from './model';
import { checkCompatible, newItem, requestedItem, type NewItemCommand } from './subscription-items';
import type { TestClocks } from '../clocks/test-clocks';

export interface SubscriptionDeps {
  store: BillingStore;
  builder: InvoiceBuilder;
  applyCredits: ApplyCredits;
  customers: Customers;
  prices: Prices;
  clocks: TestClocks;
  graceSeconds: number;
  nowMs: () => number;
}

export const MAX_ITEMS = 20;
/** Attempts of the first invoice's transaction when it keeps losing races (credits, the invoice number). */
const FINALIZE_ATTEMPTS = 5;
export const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;
export const PAYMENT_BEHAVIOR = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const;

/** POST /v1/subscriptions (1 to 20 items, counted at the edge). */
export interface CreateSubscriptionCommand {
  customer: string;
  items?: NewItemCommand[];
  billing_cycle_anchor?: number;
  cancel_at_period_end?: boolean;
  currency?: string;
  description?: string | null;
  metadata?: MetadataUpdate;
  proration_behavior?: (typeof PRORATION)[number];
  payment_behavior?: (typeof PAYMENT_BEHAVIOR)[number];
  collection_method?: 'charge_automatically';
}

/**
 * POST /v1/subscriptions: subscribes a customer to recurring prices. The first invoice
 * (`subscription_create`) bills licensed items in advance for the first period (prorated when a
 * future billing_cycle_anchor makes it partial) and shows metered items at zero; it is finalized
 * at once. Subscription, invoice and events are written in one transaction.
 */
export function makeCreateSubscription(deps: SubscriptionDeps) {
  return async function createSubscription(command: CreateSubscriptionCommand, requestNow: number, livemode: boolean): Promise<Subscription> {
    const customer = await deps.customers.retrieve(command.customer, 'customer');
    if (!command.items?.length) throw new InvalidRequestError('A subscription needs at least one item.', 'items');
    const requested = [];
    for (const [i, item] of command.items.entries()) requested.push(await requestedItem(item, `items[${i}]`, deps.prices));
    const anchorParam = command.billing_cycle_anchor;
    const cancelAtPeriodEnd = command.cancel_at_period_end ?? false;
    const currency = command.currency;
    const description = command.description ?? null;
    const metadata = applyMetadata({}, command.metadata);
    const proration = command.proration_behavior ?? 'create_prorations';

    checkCompatible(requested);
    const firstPrice = requested[0]!.price;
    if (currency !== undefined && currency !== firstPrice.currency) {
      throw new InvalidRequestError(`currency ${currency} does not match the prices' currency ${firstPrice.currency}.`, 'currency');
    }
    const now = await deps.clocks.timeOf(customer.test_clock, requestNow);
    const { interval, interval_count: intervalCount } = firstPrice.recurring!;
    const anchor = anchorParam ?? now;
    if (anchor < now || anchor > shiftByIntervals(now, interval, intervalCount)) {
      throw new InvalidRequestError('billing_cycle_anchor must be between now and the end of the first full period.', 'billing_cycle_anchor');
    }
    const cycle: BillingCycle = { start: now, anchor, interval, intervalCount };
    const firstPeriod = period(cycle, 0);
    const id = newId('subscription', deps.nowMs());
    const invoiceId = newId('invoice', deps.nowMs());
    const items = requested.map((item) => newItem(item, id, firstPeriod, now, deps.nowMs()));
    const subscription: Subscription = {
      id,
      object: 'subscription',
      billing_cycle_anchor: anchor,
      cancel_at: cancelAtPeriodEnd ? firstPeriod.end : null,
      cancel_at_period_end: cancelAtPeriodEnd,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'charge_automatically',
      created: now,
      currency: firstPrice.currency,
      customer: customer.id,
      days_until_due: null,
      description,
      discounts: [],
      ended_at: null,
      items: { object: 'list', data: items, has_more: false, total_count: items.length, url: `/v1/subscription_items?subscription=${id}` },
      latest_invoice: invoiceId,
      livemode,
      metadata,
      start_date: now,
      status: 'active',
      test_clock: customer.test_clock,
      trial_end: null,
      trial_start: null,
    };

    // A future anchor makes the first period partial: prorated, or free with proration_behavior=none.
    const partial = anchor > now;
    const factor = partial ? (proration === 'none' ? new Money(0) : prorationFactor(cycle, 0)) : undefined;
    const lines = items.map((item) =>
      isMetered(item.price)
        ? deps.builder.placeholderLine(invoiceId, subscription, item, firstPeriod)
        : deps.builder.lineOf(invoiceId, subscription, item, firstPeriod, new Money(item.quantity ?? 1), factor),
    );
    const draft = deps.builder.draft({
      id: invoiceId,
      subscription,
      customer,
      reason: 'subscription_create',
      created: now,
      period: { start: now, end: now },
      lines,
      finalizesAt: null,
    });
    const stored: StoredSubscription = {
      subscription,
      billing: { clock: customer.test_clock ?? WALL_CLOCK, cycle, period: 0, drafts: [], ended_items: [] },
      version: 1,
    };
    const event = (type: string, object: { livemode: boolean }) => eventPut(deps.store.tableName, { type, object, created: now, nowMs: deps.nowMs() });
    // The first invoice is finalized in the same transaction: it spends credits (on the grants'
    // versions) and takes the customer's next invoice number (on its sequence), so a race with
    // another finalization fails the whole transaction, and it is planned again from fresh reads.
    await retryLostRaces(
      FINALIZE_ATTEMPTS,
      async () => {
        const { writes } = await finalizeInvoice(deps, draft, undefined, now, { isNew: true });
        const written = await deps.store.transact([
          deps.store.subscriptionPut(stored, null),
          deps.store.invoiceClaim(id, now, invoiceId),
          event('invoice.created', draft),
          ...writes,
          event('customer.subscription.created', subscription),
        ]);
        return written || undefined;
      },
      () => new Error(`Subscription ${id}: its first invoice kept losing races with other finalizations of ${customer.id}; nothing was written.`),
    );
    return subscription;
  };
}
