import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueuePublisher } from '../../lib/queue/publisher';
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
