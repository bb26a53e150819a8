import type { QueuePublisher } from '../messaging/publisher';
import type { BillingStore } from './billing-store';
import { billingJobBody } from './jobs';

/**
 * The scheduler's use case: finds the objects with work due by `now` (subscriptions, expiring
 * credit grants) through the byDue index (never a scan) and puts one job per object on the
 * billing-jobs queue, a page at a time so memory stays flat however many are due. Two runs at once only queue duplicate jobs,
 * which the worker absorbs.
 */
export function makeQueueDueWork(deps: { store: BillingStore; jobs: QueuePublisher | undefined }) {
  return async function queueDueWork(now: number, outOfTime = () => false): Promise<{ queued: number; complete: boolean }> {
    if (!deps.jobs) throw new Error('No billing-jobs queue is configured for this function.');
    let queued = 0;
    for await (const ids of deps.store.dueWork(now)) {
      await deps.jobs.publish(ids.map((id) => billingJobBody({ id, livemode: deps.store.objects.mode === 'live' })));
      queued += ids.length;
      // A run cut off by its timeout would start over next time; stopping early queues no job twice.
      if (outOfTime()) return { queued, complete: false };
    }
    return { queued, complete: true };
  };
}
