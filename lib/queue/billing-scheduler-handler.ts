import type { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import type { BillingCycle } from '../billing/billing-cycle';

export interface BillingSchedulerDeps {
  billing: Pick<BillingCycle, 'queueDueSubscriptions'>;
  nowMs: () => number;
  logger: Pick<Logger, 'info'>;
}

export type BillingSchedulerHandler = (event: ScheduledEvent) => Promise<{ queued: number }>;

/**
 * The billing scheduler as an EventBridge scheduled-event handler: queues one job per
 * subscription with billing work due now. A failed run throws; the next run finds the same work.
 */
export function makeBillingSchedulerHandler(deps: BillingSchedulerDeps): BillingSchedulerHandler {
  return async () => {
    const result = await deps.billing.queueDueSubscriptions(Math.floor(deps.nowMs() / 1000));
    deps.logger.info('billing jobs queued', { queued: result.queued });
    return result;
  };
}
