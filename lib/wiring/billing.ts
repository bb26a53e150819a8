import type { SQSClient } from '@aws-sdk/client-sqs';
import { AlertStore } from '../alerts/alert-store';
import { CreditAlertCheck } from '../alerts/credit-alerts';
import type { Step } from '../billing/advance-subscription';
import { createBilling } from '../billing/billing';
import { BillingStore } from '../billing/billing-store';
import { makeQueueDueWork } from '../billing/queue-due-work';
import { Prices } from '../catalog/prices';
import { Products } from '../catalog/products';
import { Customers } from '../customers/customers';
import { QueuePublisher } from '../messaging/publisher';
import type { ObjectStore } from '../store/objects';
import type { MeteringStores } from './metering';
import type { Platform } from './platform';

/** Customers, products and prices of one mode. */
export function catalogOf(stores: MeteringStores) {
  const products = new Products(stores.store);
  return { customers: new Customers(stores.store), products, prices: new Prices(stores.store, stores.meters, products) };
}

export type Catalog = ReturnType<typeof catalogOf>;

/** Where billing jobs are queued, where the configuration names the queue. */
function billingJobs(platform: Platform, sqs: SQSClient): QueuePublisher | undefined {
  const queueUrl = platform.config.billingJobsQueueUrl;
  return queueUrl ? new QueuePublisher(sqs, queueUrl, undefined, 'Billing jobs') : undefined;
}

/** The billing of one mode: subscriptions, invoices, credits, test clocks and the billing cycle. */
export function billingOf(
  platform: Platform,
  stores: MeteringStores,
  catalog: Catalog,
  sqs: SQSClient,
  /** Test hook for the billing worker's crash window (after a step is built, before it commits). */
  beforeCommit?: (step: Step) => Promise<void>,
) {
  const { config, nowMs, logger } = platform;
  return createBilling({
    objects: stores.store,
    usage: stores.usage,
    meters: stores.meters,
    customers: catalog.customers,
    prices: catalog.prices,
    jobs: billingJobs(platform, sqs),
    graceSeconds: config.invoiceGraceSeconds,
    seller: config.seller,
    publicUrl: config.publicUrl,
    ledgerContributor: new CreditAlertCheck(new AlertStore(stores.store), nowMs),
    nowMs,
    logger,
    beforeCommit,
  });
}

/** The billing scheduler's one use case of a mode: queue a job for every object with work due. */
export function queueDueWorkOf(platform: Platform, store: ObjectStore, sqs: SQSClient) {
  return makeQueueDueWork({ store: new BillingStore(store), jobs: billingJobs(platform, sqs) });
}
