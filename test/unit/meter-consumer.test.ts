import { meterObject } from '../fixtures/meters';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { Directory } from '../../lib/metering/directory';
import type { ErrorReporter } from '../../lib/metering/error-reports';
import { makeConsumeMeterEvents } from '../../lib/metering/consume-meter-events';
import type { UsageStore } from '../../lib/metering/usage-store';
import type { Meter } from '../../lib/meters/meters';
import { makeMeterConsumerHandler } from '../../lib/queue/meter-consumer-handler';

/*
 * The consumer's deadline is the invocation's: chunks start applying only while the Lambda
 * context (or the local poller's) leaves time, since their claims are adopted elsewhere later.
 */

const NOW_MS = 1_767_225_600_000;
const CONSUMER_TIMEOUT_MS = 30_000;

const meter: Meter = meterObject({ display_name: 'API calls', event_name: 'api_call' });

/** A message of `count` accepted events, as the ingest function queues it. */
function message(messageId: string, count: number): SQSRecord {
  const received = NOW_MS / 1000;
  const events = Array.from({ length: count }, (_, i) => ({
    identifier: `${messageId}_${i}`,
    event_name: meter.event_name,
    timestamp: received - 60,
    payload: { stripe_customer_id: 'cus_a', value: '1.5' },
  }));
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify({ type: 'meter_events', received, received_ms: NOW_MS, livemode: false, accepted: true, events }),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(NOW_MS), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(NOW_MS) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:meter-events',
    awsRegion: 'us-east-1',
  };
}

/** The handler over the real consumer, with a usage table in which every claim succeeds. */
function consumer() {
  const usage = {
    claimMany: vi.fn(async (requests: { event: { identifier: string } }[]) => new Map(requests.map((r) => [r.event.identifier, { claimed: true }]))),
    appliedChunks: vi.fn(async () => new Set<string>()),
    applyChunk: vi.fn(async () => {}),
  };
  const directory = {
    meterFor: async () => meter,
    existingCustomers: async (ids: Iterable<string>) => new Map([...ids].map((id) => [id, null])),
    clockTimes: async () => new Map(),
  };
  const consume = makeConsumeMeterEvents({
    usage: usage as unknown as UsageStore,
    directory: directory as unknown as Directory,
    errors: { report: async () => {} } as unknown as ErrorReporter,
    inFlightMs: 2 * CONSUMER_TIMEOUT_MS,
  });
  const handler = makeMeterConsumerHandler({
    of: () => ({ consumeMeterEvents: consume }),
    config: { meterEventsQueueUrl: undefined },
    sqs: { send: vi.fn() },
    nowMs: () => NOW_MS,
    logger: { debug: () => {}, warn: () => {} },
  });
  return { handler, usage };
}

const eventOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const contextWith = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

describe('the meter-events consumer handler', () => {
  it('applies the chunks of a batch while the Lambda context leaves time', async () => {
    const { handler, usage } = consumer();
    const response = await handler(eventOf(message('m1', 3), message('m2', 2)), contextWith(CONSUMER_TIMEOUT_MS - 100));
    expect(response.batchItemFailures).toEqual([]);
    expect(usage.applyChunk).toHaveBeenCalledTimes(1);
  });

  it('fails the messages of a chunk instead of applying it when the Lambda context says time is nearly up', async () => {
    const { handler, usage } = consumer();
    // Claimed, but with 200 ms of a 30 s invocation left, not applied: the claims are adopted by a later delivery.
    const response = await handler(eventOf(message('m1', 3), message('m2', 2)), contextWith(200));
    expect(usage.claimMany).toHaveBeenCalledTimes(1);
    expect(usage.applyChunk).not.toHaveBeenCalled();
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
  });

  it('reads the time left when a chunk starts, not when the invocation started', async () => {
    const { handler, usage } = consumer();
    let remaining = CONSUMER_TIMEOUT_MS;
    // The claims take most of the invocation: by the time the chunk could start, too little is left.
    usage.claimMany.mockImplementationOnce(async (requests) => {
      remaining = 100;
      return new Map(requests.map((r) => [r.event.identifier, { claimed: true }]));
    });
    const response = await handler(eventOf(message('m1', 1)), { getRemainingTimeInMillis: () => remaining });
    expect(usage.applyChunk).not.toHaveBeenCalled();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('gives a call without a context (tests, scripts) the time until its claims could be adopted, less a tenth', async () => {
    const { handler, usage } = consumer();
    expect((await handler(eventOf(message('m1', 1)))).batchItemFailures).toEqual([]);
    expect(usage.applyChunk).toHaveBeenCalledTimes(1);
  });
});
