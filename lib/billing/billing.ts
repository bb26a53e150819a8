import type { Logger } from '@aws-lambda-powertools/logger';
import type { Prices } from '../catalog/prices';
import type { Customers } from '../customers/customers';
import type { Meters } from '../meters/meters';
import type { UsageStore } from '../metering/usage-store';
import type { QueuePublisher } from '../queue/publisher';
import type { ObjectStore } from '../store/objects';
import { makeAdvanceSubscription, type Step } from './advance-subscription';
import type { BillingCycle } from './billing-cycle';
import { BillingStore } from './billing-store';
import { makeCancelCustomerSubscriptions, makeCancelSubscription } from './cancel-subscription';
import { makeCreateSubscription, type SubscriptionDeps } from './create-subscription';
import { InvoiceActions } from './invoice-actions';
import { InvoiceBuilder } from './invoice-builder';
import { makePreviewInvoice } from './preview-invoice';
import { makeQueueDueSubscriptions } from './queue-due-subscriptions';
import { TestClocks } from './test-clocks';
import { makeUpdateSubscription } from './update-subscription';

export interface BillingDeps {
  objects: ObjectStore;
  usage: UsageStore;
  meters: Meters;
  customers: Customers;
  prices: Prices;
  jobs: QueuePublisher | undefined;
  graceSeconds: number;
  nowMs: () => number;
  logger?: Logger;
  /** Test hook: the worker's crash window between building a step and committing it. */
  beforeCommit?: (step: Step) => Promise<void>;
}

/** Subscriptions, invoices, test clocks and the billing cycle, built from their dependencies. */
export function createBilling(deps: BillingDeps) {
  const store = new BillingStore(deps.objects);
  const builder = new InvoiceBuilder({ usage: deps.usage, meters: deps.meters, nowMs: deps.nowMs });
  const advanceSubscription = makeAdvanceSubscription({
    store,
    builder,
    graceSeconds: deps.graceSeconds,
    nowMs: deps.nowMs,
    logger: deps.logger,
    beforeCommit: deps.beforeCommit,
  });
  const clocks = new TestClocks({ objects: deps.objects, billing: store, advanceSubscription, nowMs: deps.nowMs });
  const subscriptionDeps: SubscriptionDeps = {
    store,
    builder,
    customers: deps.customers,
    prices: deps.prices,
    clocks,
    graceSeconds: deps.graceSeconds,
    nowMs: deps.nowMs,
  };
  const cancelSubscription = makeCancelSubscription(subscriptionDeps);
  const cycle: BillingCycle = {
    queueDueSubscriptions: makeQueueDueSubscriptions({ store, jobs: deps.jobs }),
    advanceSubscription,
    deferSubscription: (id, now) => store.deferSubscription(id, now),
  };
  return {
    ...cycle,
    store,
    clocks,
    invoices: new InvoiceActions({ store, builder, clocks, nowMs: deps.nowMs }),
    createSubscription: makeCreateSubscription(subscriptionDeps),
    updateSubscription: makeUpdateSubscription(subscriptionDeps),
    cancelSubscription,
    cancelCustomerSubscriptions: makeCancelCustomerSubscriptions(subscriptionDeps, cancelSubscription),
    previewInvoice: makePreviewInvoice(subscriptionDeps),
  };
}

export type Billing = ReturnType<typeof createBilling>;
