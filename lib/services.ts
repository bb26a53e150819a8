import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { ApiKeys } from './auth/api-keys';
import type { Step } from './billing/advance-subscription';
import { createBilling } from './billing/billing';
import { createAlerts } from './alerts/alerts';
import { UsageAlertEvaluator } from './alerts/usage-alerts';
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
import { QueuePublisher } from './queue/publisher';
import { EventBusPublisher } from './events/event-bus';
import { createDocumentClient } from './store/dynamo';
import { ObjectStore } from './store/objects';
import { createWebhooks } from './webhooks/webhooks';

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
  /** Test hook for the billing worker's crash window (after a step is built, before it commits). */
  beforeBillingCommit?: (step: Step) => Promise<void>;
  /** How long a webhook receiver may take to answer (default webhookDelivery.timeoutMs, 10 s); tests shorten it. */
  webhookTimeoutMs?: number;
}

/**
 * The composition root: builds every repository and use case from the configuration. Each
 * Lambda container builds this once; the local stack builds it once per process.
 */
export function createServices(config: Config, options: ServiceOptions = {}) {
  const db = options.db ?? createDocumentClient({ endpoint: config.dynamoEndpoint, region: config.region });
  const sqs = options.sqs ?? new SQSClient({ endpoint: config.sqsEndpoint, region: config.region });
  const nowMs = options.nowMs ?? (() => Date.now());
  const logger = options.logger ?? new Logger({ serviceName: 'meterline' });
  const store = new ObjectStore(db, config.mainTableName);
  const usage = new UsageStore(db, config.usageTableName);
  const meters = new Meters(store);
  const products = new Products(store);
  const prices = new Prices(store, meters, products);
  const customers = new Customers(store);
  const directory = new Directory(store, meters);
  const apiKeys = new ApiKeys(db, config.mainTableName);
  const sessions = new MeterEventSessions(store);
  const alerts = createAlerts({ objects: store, meters, customers, nowMs });
  const http: HttpDeps = { apiKeys, sessions, idempotency: new IdempotencyStore(db, config.mainTableName), nowMs, logger };
  return {
    config,
    db,
    sqs,
    store,
    usage,
    logger,
    nowMs,
    http,
    apiKeys,
    sessions,
    customers,
    eventBus: config.eventBusName
      ? new EventBusPublisher(options.eventBridge ?? new EventBridgeClient({ region: config.region }), config.eventBusName)
      : undefined,
    alerts,
    billing: createBilling({
      objects: store,
      usage,
      meters,
      customers,
      prices,
      jobs: config.billingJobsQueueUrl ? new QueuePublisher(sqs, config.billingJobsQueueUrl, undefined, 'Billing jobs') : undefined,
      graceSeconds: config.invoiceGraceSeconds,
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

export type Services = ReturnType<typeof createServices>;
