import type { Logger } from '@aws-lambda-powertools/logger';
import type { Prices } from '../catalog/prices';
import type { Customers } from '../customers/customers';
import { CreditLedger, type LedgerContributor } from '../credits/ledger';
import { makeApplyCredits } from './apply-credits';
import { makeRestoreCredits } from './restore-credits';
import { makeExpireDueGrant } from '../credits/expire-due-grant';
import { CreditGrants } from '../credits/credit-grants';
import { makeCreditBalanceSummary } from '../credits/credit-balance-summary';
import type { Meters } from '../meters/meters';
import type { UsageStore } from '../metering/usage-store';
import type { QueuePublisher } from '../messaging/publisher';
import type { ObjectStore } from '../store/objects';
import { makeAdvanceSubscription, type Step } from './advance-subscription';
import type { BillingCycle } from './billing-cycle';
import { BillingStore } from './billing-store';
import { makeCancelCustomerSubscriptions, makeCancelSubscription } from './cancel-subscription';
import { makeCreateSubscription, type SubscriptionDeps } from './create-subscription';
import { InvoiceActions } from './invoice-actions';
import type { Seller } from '../config';
import { InvoiceBuilder } from './invoice-builder';
import { dueKind } from './jobs';
import type { Subscription } from './model';
import { makePreviewInvoice } from './preview-invoice';
import { makeQueueDueWork } from './queue-due-work';
import { TestClocks } from '../clocks/test-clocks';
import { makeUpdateSubscription } from './update-subscription';
import { makeDeleteCustomer } from './delete-customer';
import { makeListInvoices } from './list-invoices';
import { makeListSubscriptions } from './list-subscriptions';

export interface BillingDeps {
  objects: ObjectStore;
  usage: UsageStore;
  meters: Meters;
  customers: Customers;
  prices: Prices;
  jobs: QueuePublisher | undefined;
  graceSeconds: number;
  /** The seller on every invoice, and the public URL its hosted page and PDF are reached at. */
  seller: Seller;
  publicUrl: string;
  /** What every change to a customer's grants also writes (credit balance alerts). */
  ledgerContributor?: LedgerContributor;
  nowMs: () => number;
  logger?: Logger;
  /** Test hook: the worker's crash window between building a step and committing it. */
  beforeCommit?: (step: Step) => Promise<void>;
}

/** Subscriptions, invoices, credits, test clocks and the billing cycle, built from their dependencies. */
export function createBilling(deps: BillingDeps) {
  const store = new BillingStore(deps.objects);
  const builder = new InvoiceBuilder({ usage: deps.usage, meters: deps.meters, seller: deps.seller, publicUrl: deps.publicUrl, nowMs: deps.nowMs });
  const ledger = new CreditLedger(deps.objects, deps.nowMs, deps.ledgerContributor);
  const applyCredits = makeApplyCredits({ ledger });
  const advanceSubscription = makeAdvanceSubscription({
    store,
    builder,
    applyCredits,
    graceSeconds: deps.graceSeconds,
    nowMs: deps.nowMs,
    logger: deps.logger,
    beforeCommit: deps.beforeCommit,
  });
  /** Brings every subscription of a customer up to `until` (before a change to its credits takes effect). */
  const settle = async (customer: string, until: number) => {
    for await (const page of deps.objects.pages<Subscription>('subscription', { owner: customer })) {
      for (const subscription of page) await advanceSubscription(subscription.id, until);
    }
  };
  const expireDueGrant = makeExpireDueGrant({ ledger, settle });
  const advanceDue = (id: string, now: number) => (dueKind(id) === 'credit_grant' ? expireDueGrant(id, now) : advanceSubscription(id, now));
  const clocks = new TestClocks({ objects: deps.objects, billing: store, advanceDue, nowMs: deps.nowMs });
  const subscriptionDeps: SubscriptionDeps = {
    store,
    builder,
    applyCredits,
    customers: deps.customers,
    prices: deps.prices,
    clocks,
    graceSeconds: deps.graceSeconds,
    nowMs: deps.nowMs,
  };
  const cancelSubscription = makeCancelSubscription(subscriptionDeps);
  const cycle: BillingCycle = {
    queueDueWork: makeQueueDueWork({ store, jobs: deps.jobs }),
    advanceSubscription,
    advanceDue,
    deferDue: (id, now) => store.deferDue(id, now),
  };
  const cancelCustomerSubscriptions = makeCancelCustomerSubscriptions(subscriptionDeps, cancelSubscription);
  return {
    ...cycle,
    store,
    clocks,
    ledger,
    creditGrants: new CreditGrants({ ledger, customers: deps.customers, prices: deps.prices, clocks, settle, nowMs: deps.nowMs }),
    creditBalanceSummary: makeCreditBalanceSummary({ ledger, customers: deps.customers, clocks }),
    invoices: new InvoiceActions({ store, builder, clocks, applyCredits, restoreCredits: makeRestoreCredits({ ledger }), nowMs: deps.nowMs }),
    createSubscription: makeCreateSubscription(subscriptionDeps),
    updateSubscription: makeUpdateSubscription(subscriptionDeps),
    cancelSubscription,
    cancelCustomerSubscriptions,
    deleteCustomer: makeDeleteCustomer({ customers: deps.customers, cancelCustomerSubscriptions }),
    /** GET /v1/subscriptions/:id. */
    retrieveSubscription: (id: string) => deps.objects.require<Subscription>('subscription', id),
    listSubscriptions: makeListSubscriptions({ objects: deps.objects, customers: deps.customers, clocks }),
    listInvoices: makeListInvoices({ objects: deps.objects, customers: deps.customers, clocks }),
    /** GET /v1/billing/invoiced_totals (Meterline's extension): finalized invoices of a UTC month, per currency. */
    invoicedTotals: (month: string) => store.invoicedTotals(month),
    previewInvoice: makePreviewInvoice(subscriptionDeps),
  };
}

export type Billing = ReturnType<typeof createBilling>;
