import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  functionEntries,
  mainTable,
  meterConsumer,
  meterEventsQueue,
  usageTable,
  type ConsumerDefinition,
  type QueueDefinition,
} from '../../lib/store/resources';
import { MeterlineFunction } from './meterline-function';
import { consumeInBatches, workQueue } from './queues';

export interface IngestionProps {
  /** The main table (customers, meters): the consumer reads and writes it. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table (event claims, aggregates): the consumer reads and writes it. */
  readonly usageTable: dynamodb.ITable;
  /** @default meterEventsQueue from lib/store/resources.ts */
  readonly queueDefinition?: QueueDefinition;
  /** @default meterConsumer from lib/store/resources.ts */
  readonly consumerDefinition?: ConsumerDefinition;
}

/**
 * The asynchronous half of metering: the meter-events queue with its dead-letter queue, and the
 * consumer function that drains it in batches and reports per-message failures, so one poison
 * message is retried (and eventually dead-lettered) alone instead of with its whole batch.
 */
export class Ingestion extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly consumer: MeterlineFunction;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const queueDefinition = props.queueDefinition ?? meterEventsQueue;
    const consumerDefinition = props.consumerDefinition ?? meterConsumer;

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, queueDefinition, consumerDefinition, 'consumer'));

    this.consumer = new MeterlineFunction(this, 'Consumer', {
      entry: functionEntries.meterConsumer,
      description: 'Records queued meter events and usage aggregates, exactly once',
      timeoutSeconds: consumerDefinition.timeoutSeconds,
      memoryMb: consumerDefinition.memoryMb,
    })
      .useTable(props.mainTable, mainTable, 'readWrite')
      .useTable(props.usageTable, usageTable, 'claim')
      .useQueue(this.queue, queueDefinition, 'consume');
    consumeInBatches(this.consumer.function, this.queue, consumerDefinition);
  }
}
