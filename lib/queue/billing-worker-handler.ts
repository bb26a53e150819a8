import type { Logger } from '@aws-lambda-powertools/logger';
import type { BillingCycle } from '../billing/billing-cycle';
import { parseBillingJob } from '../billing/jobs';
import { groupBy } from '../domain/collections';
import { forEachLimited } from '../domain/concurrency';
import type { SqsHandler } from './meter-consumer-handler';
import { toBatchResponse } from './sqs-batch';
import { modeOf, type Mode } from '../store/keys';

export interface BillingWorkerDeps {
  /** Each mode's billing cycle: a job is worked in the mode it names. */
  of(mode: Mode): { billing: Pick<BillingCycle, 'advanceDue' | 'deferDue'> };
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
    const jobs: { id: string; mode: Mode; messageId: string }[] = [];
    for (const record of event.Records) {
      try {
        const job = parseBillingJob(record.body);
        jobs.push({ id: job.id, mode: modeOf(job.livemode), messageId: record.messageId });
      } catch (error) {
        deps.logger.error('not a billing job', { messageId: record.messageId, error: error as Error });
        failed.push(record.messageId);
      }
    }
    // The scheduler may queue an object again before its previous job ran: one run serves every
    // message of it in the batch (and they succeed or fail together).
    const messagesById = groupBy(jobs, (job) => `${job.mode}:${job.id}`);
    await forEachLimited([...messagesById.values()], concurrency, async (group) => {
      const { id, mode } = group[0]!;
      const { billing } = deps.of(mode);
      const messageIds = group.map((job) => job.messageId);
      const now = Math.floor(deps.nowMs() / 1000);
      try {
        await billing.advanceDue(id, now);
      } catch (error) {
        deps.logger.error('billing job failed', { id, mode, error: error as Error });
        failed.push(...messageIds);
        // The message is retried from the queue; the scheduler holds back until the backoff passes.
        await billing.deferDue(id, now).catch((deferError: unknown) =>
          deps.logger.error('could not defer failing work', { id, error: deferError as Error }),
        );
      }
    });
    deps.logger.debug('billing jobs done', { objects: messagesById.size, failed: failed.length });
    return toBatchResponse(failed);
  };
}
