import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
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
import { secureQueue } from './queues';

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

    this.failedBatchesQueue = secureQueue(this, 'FanOutFailures', { retentionPeriod: Duration.days(14) });
    NagSuppressions.addResourceSuppressions(this.failedBatchesQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'It is itself the failure destination of the event fan-out stream mapping.' },
    ]);

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

    this.fanOut.function.addEventSource(
      new DynamoEventSource(props.mainTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: eventFanout.batchSize,
        maxBatchingWindow: Duration.seconds(eventFanout.maxBatchingWindowSeconds),
        // A failing batch is split until the failing record is alone; only it goes to the failure queue.
        bisectBatchOnError: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.failedBatchesQueue),
        // Only new events wake the function: every other write to the main table is filtered out for free.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(EVENT_KEY_PREFIX) } } },
          }),
        ],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.fanOut.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'A stream event source needs dynamodb:ListStreams, which supports no resource-level permission.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}
