import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { USAGE_KEY_PREFIX } from '../../lib/store/keys';
import { functionEntries, mainTable, usageRollup, usageTable } from '../../lib/store/resources';
import { MeterlineFunction } from './meterline-function';
import { followStream } from './stream-source';

export interface UsageRollupProps {
  /** The main table: named in the configuration only. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table, with its stream of hourly totals before and after each change. */
  readonly usageTable: dynamodb.ITable;
}

/**
 * Usage across customers for the console (a meter's usage over all customers, its top
 * customers, the busiest meters), kept off the hot path: the rollup function follows the usage
 * table's stream (only changes of hourly usage items pass its filter) and writes the rollups back
 * to the usage table in one transaction per meter and day.
 */
export class UsageRollup extends Construct {
  public readonly function: MeterlineFunction;
  /** Stream batches that still failed after every retry, kept for inspection and replay. */
  public readonly failedBatchesQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: UsageRollupProps) {
    super(scope, id);
    this.function = new MeterlineFunction(this, 'Function', {
      entry: functionEntries.usageRollup,
      description: 'Rolls hourly usage up across customers (meter hours and days, customer days) for the console',
      timeoutSeconds: usageRollup.timeoutSeconds,
      memoryMb: usageRollup.memoryMb,
    }).useTable(props.usageTable, usageTable, 'readWrite');
    this.function.function.addEnvironment(mainTable.envVar, props.mainTable.tableName);

    // Only changes of hourly usage items wake the function: claims, markers and the rollups themselves are filtered out.
    this.failedBatchesQueue = followStream(this, this.function, props.usageTable, {
      failuresId: 'RollupFailures',
      what: 'usage rollup',
      batchSize: usageRollup.batchSize,
      maxBatchingWindowSeconds: usageRollup.maxBatchingWindowSeconds,
      filter: {
        eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
        dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(USAGE_KEY_PREFIX) } } },
      },
    });
  }
}
