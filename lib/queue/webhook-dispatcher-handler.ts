import type { Logger } from '@aws-lambda-powertools/logger';
import type { Webhooks } from '../webhooks/webhooks';
import type { SqsHandler } from './meter-consumer-handler';
import { toBatchResponse } from './sqs-batch';
import type { Mode } from '../store/keys';
import { groupByMode, messageIsLive } from '../store/modes';

export interface WebhookDispatcherDeps {
  /** Each mode's webhooks: a delivery is made with the keys of the mode its message names. */
  of(mode: Mode): { webhooks: Pick<Webhooks, 'dispatch'> };
  logger: Pick<Logger, 'debug'>;
}

/**
 * The webhook dispatcher as a Lambda SQS handler with partial batch responses: a receiver's
 * failure is handled inside (the retry is a new, delayed message), so only messages that failed
 * on our side (or are no delivery at all) return to the queue and are eventually dead-lettered.
 */
export function makeWebhookDispatcherHandler(deps: WebhookDispatcherDeps): SqsHandler {
  return async (event) => {
    const failed: string[] = [];
    for (const [mode, records] of groupByMode(event.Records, (r) => messageIsLive(r.body))) {
      const result = await deps.of(mode).webhooks.dispatch(records.map((r) => ({ messageId: r.messageId, body: r.body })));
      deps.logger.debug('webhook deliveries done', { mode, ...result.counts, failedMessages: result.failedMessageIds.length });
      failed.push(...result.failedMessageIds);
    }
    return toBatchResponse(failed);
  };
}
