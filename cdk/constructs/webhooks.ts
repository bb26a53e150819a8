import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_WEBHOOK_FIRST_RETRY_SECONDS } from '../../lib/config';
import {
  functionEntries,
  mainTable,
  usageTable,
  webhookDeliveriesQueue,
  webhookDelivery,
  webhookDispatcher,
  type ConsumerDefinition,
  type QueueDefinition,
} from '../../lib/store/resources';
import { MeterlineFunction } from './meterline-function';
import { consumeInBatches, workQueue } from './queues';

export interface WebhooksProps {
  /** The main table: the dispatcher reads endpoints and events, and writes delivery attempts. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table: only its name (the composition root names every table); no access. */
  readonly usageTable: dynamodb.ITable;
  /**
   * Wait before the first retry of a failed delivery, in whole seconds from 1 to 60; later
   * retries double it (up to 6 h) for 3 days.
   * @default webhookDelivery.firstRetrySeconds (30) from lib/store/resources.ts
   */
  readonly firstRetrySeconds?: number;
  /** @default webhookDeliveriesQueue from lib/store/resources.ts */
  readonly queueDefinition?: QueueDefinition;
  /** @default webhookDispatcher from lib/store/resources.ts */
  readonly dispatcherDefinition?: ConsumerDefinition;
}

/** Checks a first retry delay; throws when it is not a whole number of seconds from 1 to 60. */
export function validFirstRetrySeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WEBHOOK_FIRST_RETRY_SECONDS) {
    throw new Error(`The first webhook retry must be a whole number of seconds from 1 to ${MAX_WEBHOOK_FIRST_RETRY_SECONDS}; got ${seconds}`);
  }
  return seconds;
}

/**
 * Webhook deliveries: the deliveries queue (one message per event and endpoint, filled by the
 * event fan-out) with its dead-letter queue, and the dispatcher that signs and POSTs each event.
 * A receiver's failure is retried by the dispatcher itself, as a new delayed message on the same
 * queue (so it may send there); only the dispatcher's own failures go back to SQS and, after
 * `maxReceiveCount` receives, to the dead-letter queue.
 */
export class Webhooks extends Construct {
  /** Grant the event fan-out `grantSendMessages` on it. */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly dispatcher: MeterlineFunction;
  /** The validated first retry delay, in seconds. */
  public readonly firstRetrySeconds: number;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const queueDefinition = props.queueDefinition ?? webhookDeliveriesQueue;
    const dispatcherDefinition = props.dispatcherDefinition ?? webhookDispatcher;
    this.firstRetrySeconds = validFirstRetrySeconds(props.firstRetrySeconds ?? webhookDelivery.firstRetrySeconds);
    if (webhookDelivery.timeoutMs / 1000 > dispatcherDefinition.timeoutSeconds) {
      throw new Error(`The dispatcher's timeout (${dispatcherDefinition.timeoutSeconds} s) must cover one delivery (${webhookDelivery.timeoutMs} ms)`);
    }

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, queueDefinition, dispatcherDefinition, 'dispatcher'));

    this.dispatcher = new MeterlineFunction(this, 'Dispatcher', {
      entry: functionEntries.webhookDispatcher,
      description: 'Signs and POSTs events to webhook endpoints; queues retries with backoff',
      timeoutSeconds: dispatcherDefinition.timeoutSeconds,
      memoryMb: dispatcherDefinition.memoryMb,
    })
      .useTable(props.mainTable, mainTable, 'readWrite')
      .useQueue(this.queue, queueDefinition, 'consume');
    // Retries are new messages on the queue it consumes.
    this.queue.grantSendMessages(this.dispatcher.function);
    this.dispatcher.function.addEnvironment(usageTable.envVar, props.usageTable.tableName);
    this.dispatcher.function.addEnvironment(webhookDelivery.firstRetryEnvVar, String(this.firstRetrySeconds));
    consumeInBatches(this.dispatcher.function, this.queue, dispatcherDefinition);
  }
}
