import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Services } from '../services';
import { toBatchResponse, toQueueRecords } from './sqs-batch';
import { groupByMode, messageIsLive } from '../store/modes';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The meter-events consumer as a Lambda SQS handler with partial batch responses. */
export function makeMeterConsumerHandler(services: Services): SqsHandler {
  return async (event) => {
    const records = toQueueRecords(event);
    const failed: string[] = [];
    const entries: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[] = [];
    // Each mode's events are counted by that mode's consumer, against that mode's meters and customers.
    for (const [mode, group] of groupByMode(records, (r) => messageIsLive(r.body))) {
      const result = await services.of(mode).consumeMeterEvents(group, services.nowMs());
      services.logger.debug('meter events consumed', { mode, ...result.counts, failed: result.failedMessageIds.length });
      failed.push(...result.failedMessageIds);
      const soon = new Set(result.retrySoon.messageIds);
      for (const r of group) {
        if (soon.has(r.messageId)) entries.push({ Id: String(entries.length), ReceiptHandle: r.receiptHandle, VisibilityTimeout: result.retrySoon.afterSeconds });
      }
    }
    const queueUrl = services.config.meterEventsQueueUrl;
    for (let i = 0; queueUrl && i < entries.length; i += 10) {
      // Best effort: if it fails, the message simply waits for the full visibility timeout.
      await services.sqs
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries.slice(i, i + 10) }))
        .catch((error: unknown) => services.logger.warn('could not shorten a retry', { error: error as Error }));
    }
    return toBatchResponse(failed);
  };
}
