import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueuePublisher } from '../../lib/messaging/publisher';
import { ServiceUnavailableError } from '../../lib/errors';

const sqsMock = mockClient(SQSClient);

describe('QueuePublisher', () => {
  afterEach(() => sqsMock.reset());
  const publisher = () => new QueuePublisher(new SQSClient({ region: 'us-east-1' }), 'https://sqs.local/q', 3);

  it('sends up to 10 messages per batch', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await publisher().publish(Array.from({ length: 23 }, (_, i) => `m${i}`));
    const sizes = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([10, 10, 3]);
  });

  it('retries only the entries SQS reports as failed', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    await publisher().publish(['a', 'b', 'c']);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Entries).toEqual([{ Id: '1', MessageBody: 'b' }]);
  });

  it('answers 503 when a message still cannot be queued, never dropping it silently', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'ThrottlingException', SenderFault: false }] });
    const error = await publisher().publish(['a']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).status).toBe(503);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('answers 503 when SQS itself is unreachable', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('connect ECONNREFUSED'));
    await expect(publisher().publish(['a'])).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});

describe('toMessageBodies', () => {
  it('keeps a request in one message, split only when it outgrows SQS limits', async () => {
    const { toMessageBodies, MAX_MESSAGE_BYTES } = await import('../../lib/metering/record-meter-events');
    const event = (i: number) => ({ identifier: `e${i}`, event_name: 'tokens', timestamp: 1, payload: { stripe_customer_id: 'cus_1', note: 'x'.repeat(4000) } });
    const small = { type: 'meter_events' as const, received: 1, livemode: false, events: [event(0), event(1)] };
    expect(toMessageBodies(small)).toHaveLength(1);
    const large = { ...small, events: Array.from({ length: 100 }, (_, i) => event(i)) };
    const bodies = toMessageBodies(large);
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((b) => Buffer.byteLength(b) <= MAX_MESSAGE_BYTES)).toBe(true);
    expect(bodies.flatMap((b) => JSON.parse(b).events.map((e: { identifier: string }) => e.identifier))).toEqual(large.events.map((e) => e.identifier));
  });
});
