import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { HostedInvoices } from './documents/hosted-invoices';
import { ApiKeys } from './auth/api-keys';
import type { Step } from './billing/advance-subscription';
import { createBilling } from './billing/billing';
import { createAlerts } from './alerts/alerts';
import { UsageAlertEvaluator } from './alerts/usage-alerts';
import { CreditAlertCheck } from './alerts/credit-alerts';
import type { Config } from './config';
import { Prices } from './catalog/prices';
import { Products } from './catalog/products';
import { Customers } from './customers/customers';
import { IdempotencyStore } from './http/idempotency';
import type { HttpDeps } from './http/handler';
import { Meters } from './meters/meters';
import { makeConsumeMeterEvents } from './metering/consume-meter-events';
import { Directory } from './metering/directory';
import { ErrorReporter } from './metering/error-reports';
import { makeRecordMeterEvents } from './metering/record-meter-events';
import { MeterEventSessions } from './metering/sessions';
import { UsageStore } from './metering/usage-store';
import { UsageRollupStore } from './metering/usage-rollup';
import { QueuePublisher } from './messaging/publisher';
import { EventBusPublisher } from './events/event-bus';
import { createDocumentClient } from './store/dynamo';
import { ObjectStore } from './store/objects';
import { createWebhooks } from './webhooks/webhooks';
import type { Mode } from './store/keys';

export interface ServiceOptions {
  /** Replaces the wall clock (milliseconds); tests pass their own. */
  nowMs?: () => number;
  db?: DynamoDBDocumentClient;
  sqs?: SQSClient;
  /** The EventBridge client events are published with (where the configuration names a bus). */
  eventBridge?: EventBridgeClient;
  logger?: Logger;
  /** Test hook for the consumer's crash window. */
  afterClaims?: () => Promise<void>;
  /** The local stack's start (ms): claims made before it have no live owner (see ConsumerDeps.ownersGoneBeforeMs). */
  ownersGoneBeforeMs?: number;
  /** Test hook for the billing worker's crash window (after a step is built, before it commits). */
  beforeBillingCommit?: (step: Step) => Promise<void>;
  /** How long a webhook receiver may take to answer (default webhookDelivery.timeoutMs, 10 s); tests shorten it. */
  webhookTimeoutMs?: number;
}

/** What both modes share: clients, the clock, the logger. */
interface Shared {
  config: Config;
  sessions: MeterEventSessions;
  db: DynamoDBDocumentClient;
  sqs: SQSClient;
  nowMs: () => number;
  logger: Logger;
  options: ServiceOptions;
}

/**
 * Every repository and use case of one mode. Each store is built for its mode's keys, so nothing
 * here can read, list, reference or count an object of the other mode.
 */
function createModeServices(mode: Mode, { config, sessions, db, sqs, nowMs, logger, options }: Shared) {
  const store = new ObjectStore(db, config.mainTableName, mode);
  const usage = new UsageStore(db, config.usageTableName, mode);
  const meters = new Meters(store);
  const products = new Products(store);
  const prices = new Prices(store, meters, products);
  const customers = new Customers(store);
  const directory = new Directory(store, meters);
  const alerts = createAlerts({ objects: store, meters, customers, nowMs });
  return {
    mode,
    store,
    usage,
    /** Usage across customers, kept from the usage table's stream (the console's charts). */
    rollups: new UsageRollupStore(db, config.usageTableName, mode),
    sessions,
    customers,
    alerts,
    billing: createBilling({
      objects: store,
      usage,
      meters,
      customers,
      prices,
      jobs: config.billingJobsQueueUrl ? new QueuePublisher(sqs, config.billingJobsQueueUrl, undefined, 'Billing jobs') : undefined,
      graceSeconds: config.invoiceGraceSeconds,
      seller: config.seller,
      publicUrl: config.publicUrl,
      ledgerContributor: new CreditAlertCheck(alerts.store, nowMs),
      nowMs,
      logger,
      beforeCommit: options.beforeBillingCommit,
    }),
    meters,
    products,
    prices,
    directory,
    recordMeterEvents: makeRecordMeterEvents({
      directory,
      publisher: config.meterEventsQueueUrl ? new QueuePublisher(sqs, config.meterEventsQueueUrl) : undefined,
      usage,
      nowMs,
    }),
    consumeMeterEvents: makeConsumeMeterEvents({
      usage,
      directory,
      errors: new ErrorReporter(store),
      // Lambda stops an invocation at its timeout: a claim twice that old has no live owner.
      inFlightMs: 2 * config.consumerTimeoutMs,
      ownersGoneBeforeMs: options.ownersGoneBeforeMs,
      afterClaims: options.afterClaims,
      alerts: new UsageAlertEvaluator(alerts.store, db, config.usageTableName),
    }),
    webhooks: createWebhooks({
      objects: store,
      sqs,
      queueUrl: config.webhookDeliveriesQueueUrl,
      firstRetrySeconds: config.webhookFirstRetrySeconds,
      privateTestUrls: config.webhookPrivateTestUrls,
      timeoutMs: options.webhookTimeoutMs,
      nowMs,
      logger,
    }),
  };
}

export type ModeServices = ReturnType<typeof createModeServices>;

/**
 * The composition root: builds every repository and use case from the configuration, once per
 * mode (test and live are separate worlds, as in Stripe), and what the modes share (API keys,
 * idempotency records, meter event sessions). Each Lambda container builds this once; the local
 * stack builds it once per process.
 */
export function createServices(config: Config, options: ServiceOptions = {}) {
  const db = options.db ?? createDocumentClient({ endpoint: config.dynamoEndpoint, region: config.region });
  const sqs = options.sqs ?? new SQSClient({ endpoint: config.sqsEndpoint, region: config.region });
  const nowMs = options.nowMs ?? (() => Date.now());
  const logger = options.logger ?? new Logger({ serviceName: 'meterline' });
  const apiKeys = new ApiKeys(db, config.mainTableName);
  const sessions = new MeterEventSessions(db, config.mainTableName, apiKeys);
  const shared: Shared = { config, sessions, db, sqs, nowMs, logger, options };
  const test = createModeServices('test', shared);
  const live = createModeServices('live', shared);
  const http: HttpDeps = { apiKeys, sessions, idempotency: new IdempotencyStore(db, config.mainTableName), nowMs, logger };
  return {
    config,
    db,
    sqs,
    logger,
    nowMs,
    http,
    apiKeys,
    sessions,
    eventBus: config.eventBusName
      ? new EventBusPublisher(options.eventBridge ?? new EventBridgeClient({ region: config.region }), config.eventBusName)
      : undefined,
    test,
    live,
    /** Finalized invoices by their hosted token (a token names its mode). */
    hostedInvoices: new HostedInvoices({ test: test.store, live: live.store }, config.seller),
    /** The services of a mode. */
    of: (mode: Mode): ModeServices => (mode === 'live' ? live : test),
    /** Something built once per mode from that mode's services (a route table). */
    perMode: <T>(build: (s: ModeServices) => T): Record<Mode, T> => ({ test: build(test), live: build(live) }),
  };
}

export type Services = ReturnType<typeof createServices>;
