import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { MeterlineFunction } from './meterline-function';
import { secureQueue } from './queues';

export interface StreamSourceProps {
  /** The queue's id, and what the failed batches are of (for the nag suppression's reason). */
  readonly failuresId: string;
  readonly what: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Only records that pass wake the function; the others are filtered out for free. */
  readonly filter: Record<string, unknown>;
}

/**
 * Feeds `fn` from a table's stream the way every Meterline stream consumer runs: from the oldest
 * record, a failing batch split until the failing record is alone, and only that record kept in
 * a failure queue of its own (returned) after 10 retries.
 */
export function followStream(scope: Construct, fn: MeterlineFunction, table: dynamodb.ITable, props: StreamSourceProps): sqs.Queue {
  const failures = secureQueue(scope, props.failuresId, { retentionPeriod: Duration.days(14) });
  NagSuppressions.addResourceSuppressions(failures, [{ id: 'AwsSolutions-SQS3', reason: `It is itself the failure destination of the ${props.what} stream mapping.` }]);
  fn.function.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize,
      maxBatchingWindow: Duration.seconds(props.maxBatchingWindowSeconds),
      bisectBatchOnError: true,
      retryAttempts: 10,
      onFailure: new SqsDlq(failures),
      filters: [lambda.FilterCriteria.filter(props.filter)],
    }),
  );
  NagSuppressions.addResourceSuppressions(
    fn.role,
    [{ id: 'AwsSolutions-IAM5', reason: 'A stream event source needs dynamodb:ListStreams, which supports no resource-level permission.', appliesTo: ['Resource::*'] }],
    true,
  );
  return failures;
}
