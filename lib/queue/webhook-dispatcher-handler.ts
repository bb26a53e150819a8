import type { Logger } from '@aws-lambda-powertools/logger';
import type { Webhooks } from '../webhooks/webhooks';
import type { SqsHandler } from './meter-consumer-handler';
import { toBatchResponse } from './sqs-batch';

export interface WebhookDispatcherDeps {
  webhooks: Pick<Webhooks, 'dispatch'>;
  logger: Pick<Logger, 'debug'>;
}

/**
 * The webhook dispatcher as a Lambda SQS handler with partial batch responses: a receiver's
 * failure is handled inside (the retry is a new, delayed message), so only messages that failed
 * on our side (or are no delivery at all) return to the queue and are eventually dead-lettered.
 */
export function makeWebhookDispatcherHandler(deps: WebhookDispatcherDeps): SqsHandler {
  return async (event) => {
    const result = await deps.webhooks.dispatch(event.Records.map((r) => ({ messageId: r.messageId, body: r.body })));
    deps.logger.debug('webhook deliveries done', { ...result.counts, failedMessages: result.failedMessageIds.length });
    return toBatchResponse(result.failedMessageIds);
  };
}
