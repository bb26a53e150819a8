import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Services } from '../services';
import { toBatchResponse, toQueueRecords } from './sqs-batch';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The meter-events consumer as a Lambda SQS handler with partial batch responses. */
export function makeMeterConsumerHandler(services: Services): SqsHandler {
  return async (event) => {
    const records = toQueueRecords(event);
    const result = await services.consumeMeterEvents(records, services.nowMs());
    services.logger.debug('meter events consumed', { ...result.counts, failed: result.failedMessageIds.length });
    const soon = new Set(result.retrySoon.messageIds);
    const entries = records
      .filter((r) => soon.has(r.messageId))
      .map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: result.retrySoon.afterSeconds }));
    const queueUrl = services.config.meterEventsQueueUrl;
    for (let i = 0; queueUrl && i < entries.length; i += 10) {
      // Best effort: if it fails, the message simply waits for the full visibility timeout.
      await services.sqs
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries.slice(i, i + 10) }))
        .catch((error: unknown) => services.logger.warn('could not shorten a retry', { error: error as Error }));
    }
    return toBatchResponse(result.failedMessageIds);
  };
}
