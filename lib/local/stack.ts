import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { apiRoutes } from '../api/api-routes';
import { ingestRoutes } from '../api/ingest-routes';
import { sellerOf, type Config, type Seller } from '../config';
import { freePort } from './emulators';
import { makeHttpHandler } from '../http/handler';
import { makeHostedPageHandler } from '../documents/page-handler';
import { makeInvoicePdfHandler } from '../documents/pdf-handler';
import { makeBillingSchedulerHandler } from '../queue/billing-scheduler-handler';
import { makeBillingWorkerHandler } from '../queue/billing-worker-handler';
import { makeMeterConsumerHandler, type SqsHandler } from '../queue/meter-consumer-handler';
import { inFlightMsFor, unstoppedInvocationMs } from '../metering/consume-meter-events';
import { makeWebhookDispatcherHandler } from '../queue/webhook-dispatcher-handler';
import {
  billingJobsQueue,
  billingWorker,
  invoiceGrace,
  mainTable,
  meterConsumer,
  meterEventsQueue,
  usageTable,
  visibilityTimeoutFor,
  eventFanout,
  usageRollup,
  webhookDeliveriesQueue,
  webhookDelivery,
  webhookDispatcher,
} from '../store/resources';
import { createServices, type ServiceOptions, type Services } from '../services';
import { bootstrap } from './bootstrap';
import { QueueJournal } from './journal';
import { createDocumentClient } from '../store/dynamo';
import { LOCAL_REGION, startDynamoDbLocal, startSqsEmulator, useLocalCredentials, type RunningEmulator } from './emulators';
import { startGateway } from './gateway';
import { SqsPoller } from './poller';
import { StreamPoller } from './stream-poller';
import { makeUsageRollupHandler } from '../queue/usage-rollup-handler';
import { isUsageHourChange } from '../store/keys';
import { makeEventFanOutHandler } from '../queue/event-fanout-handler';
import { LocalSchedule } from './scheduler';
import { sleep } from '../domain/retry';

export interface LocalStackOptions extends ServiceOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  /** The seller on invoices (default: from the METERLINE_SELLER_* environment, as on AWS). */
  seller?: Seller;
  /** Use running emulators instead of starting new ones. */
  dynamoEndpoint?: string;
  sqsEndpoint?: string;
  /** Persist DynamoDB Local data here (in memory when absent). */
  dataDir?: string;
  /** Prefix of table and queue names, so that several stacks share one emulator. */
  prefix?: string;
  /** Shorter consumer timeout for tests: the meter-events queue's visibility timeout follows (6x). */
  consumerTimeoutMs?: number;
  /** Invocations in flight at once, per queue. @default 2 */
  pollerConcurrency?: number;
  /** Fault injection: every meter-events batch is handed to the consumer twice, concurrently. */
  deliverTwice?: boolean;
  /** Grace period of draft invoices (default 1 h). */
  invoiceGraceSeconds?: number;
  /** Wraps the consumer handler (fault injection in tests). */
  wrapConsumer?: (handler: SqsHandler) => SqsHandler;
  /**
   * Shorter billing worker timeout for tests: the billing-jobs queue's visibility timeout (6x)
   * follows, so a failed job comes back sooner. @default billingWorker.timeoutSeconds (60 s)
   */
  billingWorkerTimeoutMs?: number;
  /** Milliseconds between billing scheduler runs, the first at start; 0 (the default) disables the timer. */
  schedulerIntervalMs?: number;
  /**
   * Runs the usage rollup (usage across customers, from the usage table's stream). On by
   * default (`npm start`, the bench); off, the usage table has no stream and nothing reads it.
   * Tests turn it on only where they check the rollups or what shows them: DynamoDB Local keeps
   * every stream record in one shared store, and a suite's worth of claims made its stream reads,
   * and with them every test after, slower and slower. @default true
   */
  usageRollup?: boolean;
  /** Wraps the billing worker handler (fault injection in tests). */
  wrapBillingWorker?: (handler: SqsHandler) => SqsHandler;
  /** Fault injection: every billing-jobs batch is handed to the worker twice, concurrently. */
  deliverBillingTwice?: boolean;
  /** Wait before the first retry of a failed webhook delivery (default 30 s; tests use 1 s). */
  webhookFirstRetrySeconds?: number;
  /** Test mode webhook endpoints may point at localhost and private addresses. @default true (false where deployed) */
  webhookPrivateTestUrls?: boolean;
  /**
   * Publish events to this EventBridge bus (with the `eventBridge` client) as the deployed stack
   * does; the local stack has no bus by default.
   */
  eventBusName?: string;
  /** Wraps the webhook dispatcher handler (fault injection in tests). */
  wrapWebhookDispatcher?: (handler: SqsHandler) => SqsHandler;
  /**
   * Journal the meter-events queue's messages in DynamoDB Local, so that events acknowledged
   * before a hard kill are consumed after the restart (lib/local/journal.ts). @default true
   * (the ingest bench turns it off: it measures what runs on AWS, where SQS itself is durable)
   */
  durableQueue?: boolean;
  /** The built console served on `/` (and every path the API does not take). @default web/dist of this repository */
  consoleDir?: string;
}

export interface LocalStack {
  url: string;
  port: number;
  services: Services;
  /** The meter-events consumer's poller. */
  poller: SqsPoller;
  /** The meter-events queue and its dead-letter queue. */
  queueUrl: string;
  dlqUrl: string;
  /** The billing worker's poller. */
  billingPoller: SqsPoller;
  billingJobsQueueUrl: string;
  billingDlqUrl: string;
  /** Reads the main table's stream and runs the event fan-out, as the stream's event source mapping does. */
  streamPoller: StreamPoller;
  /** Reads the usage table's stream and runs the usage rollup, as that stream's event source mapping does (unless usageRollup is off). */
  rollupPoller?: StreamPoller;
  /** The webhook dispatcher's poller, its queue and dead-letter queue. */
  webhooksPoller: SqsPoller;
  webhooksQueueUrl: string;
  webhooksDlqUrl: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** Meter-events messages a previous run acknowledged but never handled, queued again at this start. */
  recovered: number;
  /** Messages currently in the meter-events dead-letter queue. */
  dlqDepth(): Promise<number>;
  /** Messages currently in the billing-jobs dead-letter queue. */
  billingDlqDepth(): Promise<number>;
  /**
   * Runs the billing scheduler once, as the schedule would: at `nowSeconds` when given, else at
   * the services clock. The jobs it queues are then worked by the billing poller (see `drain`).
   */
  runBillingScheduler(nowSeconds?: number): Promise<{ queued: number }>;
  /** Waits until every queue is empty, the stream has nothing new, no batch is being handled and no scheduler run is in progress. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Stops the schedule, drains both queues, stops the pollers, the gateway and owned emulators. */
  stop(): Promise<void>;
}

/** The event EventBridge sends a scheduled rule's target. */
function scheduledEvent(nowMs: number): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date(nowMs).toISOString(),
    region: LOCAL_REGION,
    resources: [],
    detail: {},
  };
}

/**
 * The whole stack on one machine: DynamoDB Local, fauxqs, the gateway in front of the same
 * handler modules the Lambdas run, and a poller in place of the event source mapping.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  useLocalCredentials();
  const owned: RunningEmulator[] = [];
  let dynamoEndpoint = options.dynamoEndpoint;
  if (!dynamoEndpoint) {
    const dynamo = await startDynamoDbLocal({ dataDir: options.dataDir });
    owned.push(dynamo);
    dynamoEndpoint = dynamo.endpoint;
  }
  let sqsEndpoint = options.sqsEndpoint;
  if (!sqsEndpoint) {
    const sqs = await startSqsEmulator();
    owned.push(sqs);
    sqsEndpoint = sqs.endpoint;
  }
  const prefix = options.prefix ?? 'meterline';
  const consumerTimeoutMs = options.consumerTimeoutMs ?? meterConsumer.timeoutSeconds * 1000;
  const billingWorkerTimeoutMs = options.billingWorkerTimeoutMs ?? billingWorker.timeoutSeconds * 1000;
  const dynamoClient = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION });
  const sqsClient = new SQSClient({ endpoint: sqsEndpoint, region: LOCAL_REGION });
  // As on AWS, each queue hides a message for six times the timeout of the function it feeds.
  const usageRollupOn = options.usageRollup !== false;
  const resources = await bootstrap(dynamoClient, sqsClient, prefix, {
    dataDir: options.dataDir,
    withoutStream: usageRollupOn ? new Set() : new Set([usageTable.id]),
    visibilityTimeoutSeconds: {
      [meterEventsQueue.id]: Math.ceil(visibilityTimeoutFor(consumerTimeoutMs / 1000)),
      [billingJobsQueue.id]: Math.ceil(visibilityTimeoutFor(billingWorkerTimeoutMs / 1000)),
      [webhookDeliveriesQueue.id]: Math.ceil(
        visibilityTimeoutFor(Math.max(webhookDispatcher.timeoutSeconds, (options.webhookTimeoutMs ?? webhookDelivery.timeoutMs) / 1000)),
      ),
    },
  }).catch(async (error: unknown) => {
    // Data this version cannot read: stop the emulators started for it before saying so.
    for (const emulator of owned.reverse()) await emulator.stop();
    throw error;
  });
  const { Table: main } = await dynamoClient.send(new DescribeTableCommand({ TableName: resources.tableNames[mainTable.id]! }));
  const { Table: usage } = await dynamoClient.send(new DescribeTableCommand({ TableName: resources.tableNames[usageTable.id]! }));
  dynamoClient.destroy();

  const queueUrl = resources.queueUrls[meterEventsQueue.id]!;
  const billingJobsQueueUrl = resources.queueUrls[billingJobsQueue.id]!;
  // Known before the services are built: hosted invoice URLs start with it.
  const port = options.port || (await freePort());
  const config: Config = {
    mainTableName: resources.tableNames[mainTable.id]!,
    usageTableName: resources.tableNames[usageTable.id]!,
    meterEventsQueueUrl: queueUrl,
    dynamoEndpoint,
    sqsEndpoint,
    region: LOCAL_REGION,
    consumerTimeoutMs,
    billingJobsQueueUrl,
    invoiceGraceSeconds: options.invoiceGraceSeconds ?? invoiceGrace.defaultSeconds,
    webhookDeliveriesQueueUrl: resources.queueUrls[webhookDeliveriesQueue.id]!,
    webhookFirstRetrySeconds: options.webhookFirstRetrySeconds ?? webhookDelivery.firstRetrySeconds,
    webhookPrivateTestUrls: options.webhookPrivateTestUrls ?? true,
    eventBusName: options.eventBusName,
    seller: options.seller ?? sellerOf(process.env),
    publicUrl: `http://127.0.0.1:${port}`,
  };
  const journal = options.durableQueue === false
    ? undefined
    : new QueueJournal(createDocumentClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION }), config.usageTableName, queueUrl, meterEventsQueue.id);
  journal?.attach(sqsClient);
  const recovered = (await journal?.replay(sqsClient)) ?? 0;
  // This process makes every claim a live consumer holds: those of an earlier run are adoptable now.
  const services = createServices(config, { ownersGoneBeforeMs: (options.nowMs ?? Date.now)(), ...options, sqs: sqsClient });
  const consumer = makeMeterConsumerHandler(services);
  const poller = new SqsPoller({
    sqs: sqsClient,
    queueUrl,
    handler: options.wrapConsumer ? options.wrapConsumer(consumer) : consumer,
    // Not stopped at its timeout as on Lambda, a local invocation may run until its claims could be adopted.
    timeoutMs: unstoppedInvocationMs(inFlightMsFor(consumerTimeoutMs)),
    batchSize: meterConsumer.batchSize,
    batchingWindowMs: meterConsumer.maxBatchingWindowSeconds * 1000,
    concurrency: options.pollerConcurrency,
    deliverTwice: options.deliverTwice,
    onHandled: journal && ((bodies) => journal.forget(bodies)),
    onCrash: (error) => services.logger.error('meter-events consumer invocation failed; its batch returns to the queue', { error: error as Error }),
  });
  const worker = makeBillingWorkerHandler(services);
  const billingPoller = new SqsPoller({
    sqs: sqsClient,
    queueUrl: billingJobsQueueUrl,
    handler: options.wrapBillingWorker ? options.wrapBillingWorker(worker) : worker,
    timeoutMs: billingWorkerTimeoutMs,
    batchSize: billingWorker.batchSize,
    batchingWindowMs: billingWorker.maxBatchingWindowSeconds * 1000,
    concurrency: options.pollerConcurrency,
    deliverTwice: options.deliverBillingTwice,
  });
  const dispatcher = makeWebhookDispatcherHandler(services);
  const webhooksPoller = new SqsPoller({
    sqs: sqsClient,
    queueUrl: config.webhookDeliveriesQueueUrl!,
    handler: options.wrapWebhookDispatcher ? options.wrapWebhookDispatcher(dispatcher) : dispatcher,
    timeoutMs: webhookDispatcher.timeoutSeconds * 1000,
    batchSize: webhookDispatcher.batchSize,
    batchingWindowMs: webhookDispatcher.maxBatchingWindowSeconds * 1000,
    concurrency: options.pollerConcurrency,
  });
  const streamPoller = new StreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION }),
    streamArn: main!.LatestStreamArn!,
    handler: makeEventFanOutHandler(services),
    batchSize: eventFanout.batchSize,
    onError: (error, context) => services.logger.warn(`event stream: ${context} failed`, { error: error as Error }),
  });
  const rollupPoller = usageRollupOn
    ? new StreamPoller({
        streams: new DynamoDBStreamsClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION }),
        streamArn: usage!.LatestStreamArn!,
        handler: makeUsageRollupHandler(services),
        batchSize: usageRollup.batchSize,
        filter: (record) => isUsageHourChange(record.eventName, record.dynamodb?.Keys?.pk?.S, record.dynamodb?.Keys?.sk?.S),
        onError: (error, context) => services.logger.warn(`usage stream: ${context} failed`, { error: error as Error }),
      })
    : undefined;
  /** The scheduler function's path, at a given clock. */
  const runScheduler = (nowMs: () => number) =>
    makeBillingSchedulerHandler({ of: services.of, nowMs, logger: services.logger })(scheduledEvent(nowMs()));
  const schedule = new LocalSchedule({
    intervalMs: options.schedulerIntervalMs ?? 0,
    run: () => runScheduler(services.nowMs),
    onError: (error) => services.logger.error('billing scheduler run failed', { error: error as Error }),
  });
  const server: Server = await startGateway(
    {
      api: makeHttpHandler(services.perMode(apiRoutes), services.http),
      ingest: makeHttpHandler(services.perMode(ingestRoutes), services.http),
      invoicePage: makeHostedPageHandler(services.hostedInvoices, services.logger),
      invoicePdf: makeInvoicePdfHandler(services.hostedInvoices, services.logger),
    },
    port,
    '127.0.0.1',
    options.consoleDir ?? fileURLToPath(new URL('../../web/dist', import.meta.url)),
  );
  await streamPoller.start();
  await rollupPoller?.start();
  poller.start();
  billingPoller.start();
  webhooksPoller.start();
  schedule.start();
  const dlqUrl = resources.queueUrls[`${meterEventsQueue.id}Dlq`]!;
  const billingDlqUrl = resources.queueUrls[`${billingJobsQueue.id}Dlq`]!;
  const webhooksDlqUrl = resources.queueUrls[`${webhookDeliveriesQueue.id}Dlq`]!;

  const visibleMessages = async (url: string) => {
    const out = await sqsClient.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  // Every queue and the stream at once: a scheduler run (or a test) may queue jobs while the
  // meter-events queue drains, so each poller being idle in turn is not enough.
  const drain = async (timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const idle =
        !schedule.busy &&
        (await poller.idle()) &&
        (await billingPoller.idle()) &&
        (await streamPoller.idle()) &&
        (!rollupPoller || (await rollupPoller.idle())) &&
        (await webhooksPoller.idle());
      if (idle) return true;
      await sleep(50);
    }
    return false;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    poller,
    queueUrl,
    dlqUrl,
    billingPoller,
    billingJobsQueueUrl,
    billingDlqUrl,
    streamPoller,
    rollupPoller,
    webhooksPoller,
    webhooksQueueUrl: config.webhookDeliveriesQueueUrl!,
    webhooksDlqUrl,
    dynamoEndpoint,
    sqsEndpoint,
    recovered,
    dlqDepth: () => visibleMessages(dlqUrl),
    billingDlqDepth: () => visibleMessages(billingDlqUrl),
    runBillingScheduler: (nowSeconds) =>
      runScheduler(nowSeconds === undefined ? services.nowMs : () => nowSeconds * 1000),
    drain,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await schedule.stop();
      await drain(30_000);
      await Promise.all([poller.stop(), billingPoller.stop(), streamPoller.stop(), rollupPoller?.stop(), webhooksPoller.stop()]);
      for (const emulator of owned.reverse()) await emulator.stop();
    },
  };
}
