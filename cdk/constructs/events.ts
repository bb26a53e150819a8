import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_KEY_PREFIX } from '../../lib/store/keys';
import {
  eventBus,
  eventFanout,
  functionEntries,
  mainTable,
  usageTable,
  webhookDeliveriesQueue,
} from '../../lib/store/resources';
import { MeterlineFunction } from './meterline-function';
import { followStream } from './stream-source';

export interface EventsProps {
  /** The main table, with its stream: every event is written there in the transaction of its change. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table: named in the configuration only. */
  readonly usageTable: dynamodb.ITable;
  /** Where a delivery is queued for each webhook endpoint subscribed to an event. */
  readonly webhookDeliveries: sqs.IQueue;
}

/**
 * Where events go once recorded: the fan-out function follows the main table's stream (only
 * event inserts pass its filter) and puts each event on the Meterline event bus, where AWS users
 * route them with rules, and queues its webhook deliveries. The stream is the outbox: an event is
 * published if and only if its change committed.
 */
export class Events extends Construct {
  public readonly bus: events.EventBus;
  public readonly fanOut: MeterlineFunction;
  /** Stream batches that still failed after every retry, kept for inspection and replay. */
  public readonly failedBatchesQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Meterline events: source "meterline", detail-type the event type' });

    this.fanOut = new MeterlineFunction(this, 'FanOut', {
      entry: functionEntries.eventFanout,
      description: 'Publishes new events to the event bus and queues their webhook deliveries',
      timeoutSeconds: eventFanout.timeoutSeconds,
      memoryMb: eventFanout.memoryMb,
    })
      // It reads the webhook endpoints; the events themselves come with the stream records.
      .useTable(props.mainTable, mainTable, 'read')
      .useQueue(props.webhookDeliveries, webhookDeliveriesQueue, 'send');
    this.fanOut.function.addEnvironment(usageTable.envVar, props.usageTable.tableName);
    this.fanOut.function.addEnvironment(eventBus.envVar, this.bus.eventBusName);
    this.bus.grantPutEventsTo(this.fanOut.function);

    // Only new events wake the function: every other write to the main table is filtered out.
    this.failedBatchesQueue = followStream(this, this.fanOut, props.mainTable, {
      failuresId: 'FanOutFailures',
      what: 'event fan-out',
      batchSize: eventFanout.batchSize,
      maxBatchingWindowSeconds: eventFanout.maxBatchingWindowSeconds,
      filter: {
        eventName: lambda.FilterRule.isEqual('INSERT'),
        dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(EVENT_KEY_PREFIX) } } },
      },
    });
  }
}
