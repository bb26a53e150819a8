import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueRecord } from '../metering/consume-meter-events';

/** The records of a Lambda SQS event in the consumer's terms. */
export function toQueueRecords(event: SQSEvent): QueueRecord[] {
  return event.Records.map((r) => ({
    messageId: r.messageId,
    receiptHandle: r.receiptHandle,
    body: r.body,
    receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? 1),
  }));
}

/** The partial batch response that leaves only the failed messages on the queue. */
export function toBatchResponse(failedMessageIds: readonly string[]): SQSBatchResponse {
  return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}
