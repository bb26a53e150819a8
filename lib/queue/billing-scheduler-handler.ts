import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { BillingCycle } from '../billing/billing-cycle';
import type { Mode } from '../store/keys';

const LIVE_FIRST: readonly Mode[] = ['live', 'test'];

export interface BillingSchedulerDeps {
  /** Each mode's billing cycle: both modes are billed, each from its own due index. */
  of(mode: Mode): { billing: Pick<BillingCycle, 'queueDueWork'> };
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
    const now = Math.floor(deps.nowMs() / 1000);
    const result = { queued: 0, complete: true };
    // Live first: however much work test mode has due (a CI run's clocks), it never delays production's invoices.
    for (const mode of LIVE_FIRST) {
      const { queued, complete } = await deps.of(mode).billing.queueDueWork(now, outOfTime);
      result.queued += queued;
      if (!complete) {
        result.complete = false;
        break;
      }
    }
    deps.logger.info('billing jobs queued', { ...result });
    return result;
  };
}
