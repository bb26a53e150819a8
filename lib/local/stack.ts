import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { apiRoutes } from '../api/api-routes';
import { ingestRoutes } from '../api/ingest-routes';
import type { Config } from '../config';
import { makeHttpHandler } from '../http/handler';
import { makeMeterConsumerHandler, type SqsHandler } from '../queue/meter-consumer-handler';
import { billingJobsQueue, invoiceGrace, mainTable, meterConsumer, meterEventsQueue, usageTable } from '../store/resources';
import { createServices, type ServiceOptions, type Services } from '../services';
import { bootstrap } from './bootstrap';
import { LOCAL_REGION, startDynamoDbLocal, startSqsEmulator, useLocalCredentials, type RunningEmulator } from './emulators';
import { startGateway } from './gateway';
import { SqsPoller } from './poller';

export interface LocalStackOptions extends ServiceOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  /** Use running emulators instead of starting new ones. */
  dynamoEndpoint?: string;
  sqsEndpoint?: string;
  /** Persist DynamoDB Local data here (in memory when absent). */
  dataDir?: string;
  /** Prefix of table and queue names, so that several stacks share one emulator. */
  prefix?: string;
  /** Shorter consumer timeout for tests: the queue's visibility timeout follows (6x). */
  consumerTimeoutMs?: number;
  pollerConcurrency?: number;
  deliverTwice?: boolean;
  /** Grace period of draft invoices (default 1 h). */
  invoiceGraceSeconds?: number;
  /** Wraps the consumer handler (fault injection in tests). */
  wrapConsumer?: (handler: SqsHandler) => SqsHandler;
}

export interface LocalStack {
  url: string;
  port: number;
  services: Services;
  poller: SqsPoller;
  queueUrl: string;
  dlqUrl: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** Messages currently in the dead-letter queue. */
  dlqDepth(): Promise<number>;
  /** Waits until every queued message has been consumed. */
  drain(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
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
  const dynamoClient = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION });
  const sqsClient = new SQSClient({ endpoint: sqsEndpoint, region: LOCAL_REGION });
  const resources = await bootstrap(dynamoClient, sqsClient, prefix, {
    visibilityTimeoutSeconds: Math.ceil((6 * consumerTimeoutMs) / 1000),
  });
  dynamoClient.destroy();

  const queueUrl = resources.queueUrls[meterEventsQueue.id]!;
  const config: Config = {
    mainTableName: resources.tableNames[mainTable.id]!,
    usageTableName: resources.tableNames[usageTable.id]!,
    meterEventsQueueUrl: queueUrl,
    dynamoEndpoint,
    sqsEndpoint,
    region: LOCAL_REGION,
    consumerTimeoutMs,
    billingJobsQueueUrl: resources.queueUrls[billingJobsQueue.id]!,
    invoiceGraceSeconds: options.invoiceGraceSeconds ?? invoiceGrace.defaultSeconds,
  };
  const services = createServices(config, { ...options, sqs: sqsClient });
  const consumer = makeMeterConsumerHandler(services);
  const poller = new SqsPoller({
    sqs: sqsClient,
    queueUrl,
    handler: options.wrapConsumer ? options.wrapConsumer(consumer) : consumer,
    batchSize: meterConsumer.batchSize,
    batchingWindowMs: meterConsumer.maxBatchingWindowSeconds * 1000,
    concurrency: options.pollerConcurrency,
    deliverTwice: options.deliverTwice,
  });
  const server: Server = await startGateway(
    {
      api: makeHttpHandler(apiRoutes(services), services.http),
      ingest: makeHttpHandler(ingestRoutes(services), services.http),
    },
    options.port ?? 0,
  );
  poller.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const dlqUrl = resources.queueUrls[`${meterEventsQueue.id}Dlq`]!;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    poller,
    queueUrl,
    dlqUrl,
    dynamoEndpoint,
    sqsEndpoint,
    async dlqDepth() {
      const out = await sqsClient.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    drain: (timeoutMs) => poller.drain(timeoutMs),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await poller.drain(30_000);
      await poller.stop();
      for (const emulator of owned.reverse()) await emulator.stop();
    },
  };
}
