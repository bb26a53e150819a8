import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Config } from '../config';
import type { makeConsumeMeterEvents } from '../metering/consume-meter-events';
import { toBatchResponse, toQueueRecords } from './sqs-batch';
import type { Mode } from '../store/keys';
import { groupByMode, messageIsLive } from '../store/modes';

/** What a handler reads of its Lambda context: the time left (the local poller gives its own). */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

export type SqsHandler = (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse>;

export interface MeterConsumerDeps {
  /** Each mode's consumer: a mode's events are counted against that mode's meters and customers. */
  of(mode: Mode): { consumeMeterEvents: ReturnType<typeof makeConsumeMeterEvents> };
  /** The queue whose retries the handler shortens (ChangeMessageVisibility). */
  config: Pick<Config, 'meterEventsQueueUrl'>;
  sqs: Pick<SQSClient, 'send'>;
  nowMs: () => number;
  logger: Pick<Logger, 'debug' | 'warn'>;
}

/**
 * The meter-events consumer as a Lambda SQS handler with partial batch responses. Its chunks
 * start applying only while the invocation has time left, as the context says.
 */
export function makeMeterConsumerHandler(services: MeterConsumerDeps): SqsHandler {
  return async (event, context) => {
    const timeLeft = context && (() => context.getRemainingTimeInMillis());
    const records = toQueueRecords(event);
    const failed: string[] = [];
    const entries: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[] = [];
    // Each mode's events are counted by that mode's consumer, against that mode's meters and customers.
    for (const [mode, group] of groupByMode(records, (r) => messageIsLive(r.body))) {
      const result = await services.of(mode).consumeMeterEvents(group, services.nowMs(), timeLeft);
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
