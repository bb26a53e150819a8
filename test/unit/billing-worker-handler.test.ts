import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { billingJobBody } from '../../lib/billing/jobs';
import { makeBillingWorkerHandler } from '../../lib/queue/billing-worker-handler';

const NOW_MS = 1_767_225_600_123;

/** An SQS record as the event source mapping delivers it. */
function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(NOW_MS),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(NOW_MS),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:billing-jobs',
    awsRegion: 'us-east-1',
  };
}

const job = (messageId: string, subscription: string, livemode = false) => record(messageId, billingJobBody({ id: subscription, livemode }));
const eventOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A worker over a fake billing cycle that fails the subscriptions it is told to. */
function workerWith(options: { failing?: string[]; concurrency?: number } = {}) {
  const advanced: Array<[string, number]> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const billing = {
    advanceDue: vi.fn(async (subscription: string, now: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (options.failing?.includes(subscription)) throw new Error(`cannot bill ${subscription}`);
      advanced.push([subscription, now]);
    }),
    deferDue: vi.fn(async (_subscription: string, _now: number) => {}),
  };
  const logger = { debug: vi.fn(), error: vi.fn() };
  const live = { advanceDue: vi.fn(async (_subscription: string, _now: number) => {}), deferDue: vi.fn(async (_subscription: string, _now: number) => {}) };
  const handler = makeBillingWorkerHandler({
    of: (mode) => ({ billing: mode === 'live' ? live : billing }),
    nowMs: () => NOW_MS,
    logger,
    concurrency: options.concurrency,
  });
  return { handler, billing, live, logger, advanced, maxInFlight: () => maxInFlight };
}

const failedIds = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('the billing worker handler', () => {
  it('works each job in the mode it names: a live job never reaches test mode\'s billing, and the reverse', async () => {
    const { handler, advanced, live } = workerWith();
    const response = await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_a', true)));
    expect(response.batchItemFailures).toEqual([]);
    expect(advanced).toEqual([['sub_a', Math.floor(NOW_MS / 1000)]]);
    expect(live.advanceDue).toHaveBeenCalledTimes(1);
    expect(live.advanceDue).toHaveBeenCalledWith('sub_a', Math.floor(NOW_MS / 1000));
  });

  it('advances each subscription at the current time in whole seconds and reports no failure', async () => {
    const { handler, advanced } = workerWith();
    const response = await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_b')));
    expect(response.batchItemFailures).toEqual([]);
    expect(advanced.sort()).toEqual([
      ['sub_a', Math.floor(NOW_MS / 1000)],
      ['sub_b', Math.floor(NOW_MS / 1000)],
    ]);
  });

  it('fails only the message whose job throws', async () => {
    const { handler, advanced, logger } = workerWith({ failing: ['sub_bad'] });
    const response = await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_bad'), job('m3', 'sub_c')));
    expect(failedIds(response)).toEqual(['m2']);
    expect(advanced.map(([s]) => s).sort()).toEqual(['sub_a', 'sub_c']);
    expect(logger.error).toHaveBeenCalledWith('billing job failed', expect.objectContaining({ id: 'sub_bad' }));
  });

  it('holds back a subscription whose job failed, and only that one', async () => {
    const { handler, billing } = workerWith({ failing: ['sub_bad'] });
    await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_bad')));
    expect(billing.deferDue.mock.calls).toEqual([['sub_bad', Math.floor(NOW_MS / 1000)]]);
  });

  it('still reports the failure when holding the subscription back fails too', async () => {
    const { handler, billing } = workerWith({ failing: ['sub_bad'] });
    billing.deferDue.mockRejectedValueOnce(new Error('throttled'));
    expect(failedIds(await handler(eventOf(job('m2', 'sub_bad'))))).toEqual(['m2']);
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON without an id', '{"customer":"cus_1"}'],
    ['an id that is neither a subscription nor a credit grant', '{"id":"cus_1"}'],
    ['null', 'null'],
  ])('fails only a message whose body is %s, so it ends in the dead-letter queue', async (_name, body) => {
    const { handler, billing, advanced } = workerWith();
    const response = await handler(eventOf(job('m1', 'sub_a'), record('bad', body), job('m3', 'sub_c')));
    expect(failedIds(response)).toEqual(['bad']);
    expect(billing.advanceDue).toHaveBeenCalledTimes(2);
    expect(advanced.map(([s]) => s).sort()).toEqual(['sub_a', 'sub_c']);
  });

  it('advances a subscription queued twice in one batch once', async () => {
    const { handler, billing } = workerWith();
    const response = await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_b'), job('m3', 'sub_a')));
    expect(response.batchItemFailures).toEqual([]);
    expect(billing.advanceDue).toHaveBeenCalledTimes(2);
    expect(billing.advanceDue.mock.calls.map(([s]) => s).sort()).toEqual(['sub_a', 'sub_b']);
  });

  it('fails every message of a subscription queued twice when its one run throws', async () => {
    const { handler, billing } = workerWith({ failing: ['sub_a'] });
    const response = await handler(eventOf(job('m1', 'sub_a'), job('m2', 'sub_b'), job('m3', 'sub_a')));
    expect(failedIds(response)).toEqual(['m1', 'm3']);
    expect(billing.advanceDue).toHaveBeenCalledTimes(2);
  });

  it('runs at most `concurrency` subscriptions at once, and every one of them', async () => {
    const { handler, billing, maxInFlight } = workerWith({ concurrency: 3 });
    const records = Array.from({ length: 10 }, (_, i) => job(`m${i}`, `sub_${i}`));
    const response = await handler(eventOf(...records));
    expect(response.batchItemFailures).toEqual([]);
    expect(billing.advanceDue).toHaveBeenCalledTimes(10);
    expect(maxInFlight()).toBe(3);
  });

  it('answers an empty batch with no failure and no work', async () => {
    const { handler, billing } = workerWith();
    expect(await handler(eventOf())).toEqual({ batchItemFailures: [] });
    expect(billing.advanceDue).not.toHaveBeenCalled();
  });
});
