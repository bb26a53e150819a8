import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { BillingCycle } from '../billing/billing-cycle';

export interface BillingSchedulerDeps {
  billing: Pick<BillingCycle, 'queueDueWork'>;
  nowMs: () => number;
  logger: Pick<Logger, 'info'>;
}

export type BillingSchedulerHandler = (event: ScheduledEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<{ queued: number; complete: boolean }>;

/** Time a run keeps in reserve to publish its last page and return before the Lambda timeout. */
const RESERVE_MS = 15_000;

/**
 * The billing scheduler as an EventBridge scheduled-event handler: queues one job per object
 * (subscription, expiring credit grant) with billing work due now. A failed run throws; the next run finds the same work.
 */
export function makeBillingSchedulerHandler(deps: BillingSchedulerDeps): BillingSchedulerHandler {
  return async (_event, context) => {
    const outOfTime = () => (context ? context.getRemainingTimeInMillis() < RESERVE_MS : false);
    const result = await deps.billing.queueDueWork(Math.floor(deps.nowMs() / 1000), outOfTime);
    deps.logger.info('billing jobs queued', { ...result });
    return result;
  };
}
