import { describe, expect, it } from 'vitest';
import type { BillingStore } from '../../lib/billing/billing-store';
import { parseBillingJob } from '../../lib/billing/jobs';
import { makeQueueDueWork } from '../../lib/billing/queue-due-work';
import type { QueuePublisher } from '../../lib/messaging/publisher';
import { makeBillingSchedulerHandler } from '../../lib/queue/billing-scheduler-handler';
import type { Mode } from '../../lib/store/keys';
import type { ScheduledEvent } from 'aws-lambda';

/** A due index of `pages` and a publisher that records what it was given. */
function fakes(pages: string[][]) {
  const published: string[] = [];
  const store = {
    objects: { mode: 'live' },
    async *dueWork() {
      for (const page of pages) yield page;
    },
  } as unknown as BillingStore;
  const jobs = { publish: async (bodies: string[]) => void published.push(...bodies.map((b) => parseBillingJob(b)).map((job) => (job.livemode ? job.id : `test:${job.id}`))) } as unknown as QueuePublisher;
  return { store, jobs, published };
}

describe('queueDueWork', () => {
  // The fake due index is live mode's: every job names live mode, so the worker works it with live mode's store.
  it('queues one job per due subscription, page after page', async () => {
    const { store, jobs, published } = fakes([['sub_a', 'sub_b'], ['sub_c']]);
    expect(await makeQueueDueWork({ store, jobs })(100)).toEqual({ queued: 3, complete: true });
    expect(published).toEqual(['sub_a', 'sub_b', 'sub_c']);
  });

  it('stops between pages when it runs out of time, leaving the rest for the next run', async () => {
    const { store, jobs, published } = fakes([['sub_a', 'sub_b'], ['sub_c']]);
    expect(await makeQueueDueWork({ store, jobs })(100, () => true)).toEqual({ queued: 2, complete: false });
    expect(published).toEqual(['sub_a', 'sub_b']);
  });

  it('refuses to run without a jobs queue', async () => {
    const { store } = fakes([]);
    await expect(makeQueueDueWork({ store, jobs: undefined })(100)).rejects.toThrow(/billing-jobs queue/);
  });
});

describe('the billing scheduler handler', () => {
  const scheduler = (complete: Record<Mode, boolean>, order: Mode[]) =>
    makeBillingSchedulerHandler({
      of: (mode) => ({
        billing: {
          queueDueWork: async () => {
            order.push(mode);
            return { queued: mode === 'live' ? 2 : 3, complete: complete[mode] };
          },
        },
      }),
      nowMs: () => 100_000,
      logger: { info: () => undefined },
    });

  it('queues the work due in both modes, live first', async () => {
    const order: Mode[] = [];
    expect(await scheduler({ test: true, live: true }, order)({} as ScheduledEvent)).toEqual({ queued: 5, complete: true });
    expect(order).toEqual(['live', 'test']);
  });

  it('leaves test mode for the next run when live mode used up the run', async () => {
    const order: Mode[] = [];
    expect(await scheduler({ test: true, live: false }, order)({} as ScheduledEvent)).toEqual({ queued: 2, complete: false });
    expect(order).toEqual(['live']);
  });
});
