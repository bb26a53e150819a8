import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { visibilityTimeoutFor, type ConsumerDefinition, type QueueDefinition } from '../../lib/store/resources';

/** An SQS queue with Meterline's secure defaults: SQS-managed encryption and TLS only. */
export function secureQueue(scope: Construct, id: string, props: sqs.QueueProps = {}): sqs.Queue {
  return new sqs.Queue(scope, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });
}

/**
 * A work queue and its dead-letter queue from their shared definition. A message still being
 * processed when it reappears would be processed twice, so AWS asks for a visibility timeout of
 * at least six times the consumer's timeout: a definition that breaks the rule is refused.
 */
export function workQueue(scope: Construct, definition: QueueDefinition, consumer: ConsumerDefinition, consumerName: string) {
  if (definition.visibilityTimeoutSeconds < visibilityTimeoutFor(consumer.timeoutSeconds)) {
    throw new Error(
      `${definition.id}: visibility timeout ${definition.visibilityTimeoutSeconds} s ` +
        `is under 6 x the ${consumerName} timeout (${consumer.timeoutSeconds} s)`,
    );
  }
  const deadLetterQueue = secureQueue(scope, `${definition.id}DeadLetter`, {
    retentionPeriod: Duration.seconds(definition.deadLetterRetentionSeconds),
  });
  const queue = secureQueue(scope, definition.id, {
    visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
    retentionPeriod: Duration.seconds(definition.retentionSeconds),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/**
 * Lets `fn` drain `queue` in batches with partial batch responses, so that one failing message
 * is retried (and eventually dead-lettered) alone instead of with its whole batch.
 */
export function consumeInBatches(fn: lambda.IFunction, queue: sqs.IQueue, consumer: ConsumerDefinition): void {
  fn.addEventSource(
    new SqsEventSource(queue, {
      batchSize: consumer.batchSize,
      maxBatchingWindow: Duration.seconds(consumer.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
    }),
  );
}
