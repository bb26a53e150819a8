import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../errors';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';

const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;


/**
 * Puts messages on a queue in batches of up to 10. Entries SQS reports as failed are retried
 * with backoff; if any still fails, the caller gets a ServiceUnavailableError (a 503), so no
 * message is ever dropped silently.
 */
export class QueuePublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly attempts = 5,
    /** What the messages are, for the error a caller sees when they cannot be queued. */
    private readonly what = 'Meter events',
  ) {}

  async publish(bodies: readonly string[]): Promise<void> {
    const batches: string[][] = [];
    let current: string[] = [];
    let bytes = 0;
    for (const body of bodies) {
      const size = Buffer.byteLength(body);
      if (current.length === MAX_BATCH_ENTRIES || (current.length && bytes + size > MAX_BATCH_BYTES)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(body);
      bytes += size;
    }
    if (current.length) batches.push(current);
    await Promise.all(batches.map((batch) => this.sendBatch(batch)));
  }

  private async sendBatch(bodies: string[]): Promise<void> {
    let pending = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(backoffMs(BACKOFF.queueSend, attempt + 1));
      try {
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((entry) => failed.has(entry.Id));
      } catch {
        if (attempt === this.attempts - 1) break;
        continue;
      }
      if (pending.length === 0) return;
    }
    throw new ServiceUnavailableError(`${this.what} could not be queued. Please retry.`);
  }
}
