import type { Logger } from '@aws-lambda-powertools/logger';
import type { BillingCycle } from '../billing/billing-cycle';
import { parseBillingJob } from '../billing/jobs';
import { groupBy } from '../domain/collections';
import { forEachLimited } from '../domain/concurrency';
import type { SqsHandler } from './meter-consumer-handler';
import { toBatchResponse } from './sqs-batch';

export interface BillingWorkerDeps {
  billing: Pick<BillingCycle, 'advanceDue' | 'deferDue'>;
  nowMs: () => number;
  logger: Pick<Logger, 'debug' | 'error'>;
  /** Objects advanced at once. @default 5 (half a batch: each job is a handful of DynamoDB round trips) */
  concurrency?: number;
}

/**
 * The billing worker as a Lambda SQS handler with partial batch responses: each job brings one
 * object of the due index up to date (a subscription, or a credit grant's expiry), and only the
 * messages whose job failed (or that are no job at all) return to the queue, to be retried alone
 * and eventually dead-lettered.
 */
export function makeBillingWorkerHandler(deps: BillingWorkerDeps): SqsHandler {
  const concurrency = deps.concurrency ?? 5;
  return async (event) => {
    const failed: string[] = [];
    const jobs: { id: string; messageId: string }[] = [];
    for (const record of event.Records) {
      try {
        jobs.push({ id: parseBillingJob(record.body).id, messageId: record.messageId });
      } catch (error) {
        deps.logger.error('not a billing job', { messageId: record.messageId, error: error as Error });
        failed.push(record.messageId);
      }
    }
    // The scheduler may queue an object again before its previous job ran: one run serves every
    // message of it in the batch (and they succeed or fail together).
    const messagesById = groupBy(jobs, (job) => job.id);
    await forEachLimited([...messagesById], concurrency, async ([id, group]) => {
      const messageIds = group.map((job) => job.messageId);
      const now = Math.floor(deps.nowMs() / 1000);
      try {
        await deps.billing.advanceDue(id, now);
      } catch (error) {
        deps.logger.error('billing job failed', { id, error: error as Error });
        failed.push(...messageIds);
        // The message is retried from the queue; the scheduler holds back until the backoff passes.
        await deps.billing.deferDue(id, now).catch((deferError: unknown) =>
          deps.logger.error('could not defer failing work', { id, error: deferError as Error }),
        );
      }
    });
    deps.logger.debug('billing jobs done', { objects: messagesById.size, failed: failed.length });
    return toBatchResponse(failed);
  };
}
