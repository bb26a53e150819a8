import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsHandler } from '../queue/meter-consumer-handler';
import { LOCAL_REGION } from './emulators';
import { sleep } from '../domain/retry';
import { timeBudget } from '../domain/time-left';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /**
   * How long an invocation may run: its context counts the time left down from it, as Lambda's
   * counts down from the function timeout. (Lambda also stops the invocation then; the poller
   * does not, so the stack may give a handler more, see stack.ts.)
   */
  timeoutMs: number;
  /** Messages per invocation, as the event source mapping's BatchSize. */
  batchSize: number;
  /** How long to gather a batch, as MaximumBatchingWindowInSeconds. */
  batchingWindowMs: number;
  /** Invocations in flight at once (Lambda scales consumers out). */
  concurrency?: number;
  /** Fault injection for tests: every batch is handed to the handler twice, concurrently. */
  deliverTwice?: boolean;
  /** Told of an invocation that threw (Lambda would log it); its whole batch returns to the queue. */
  onCrash?: (error: unknown) => void;
  /** Called with the messages the handler succeeded with, before they are deleted (the local queue journal forgets them). */
  onHandled?: (bodies: string[]) => Promise<void>;
}

function toRecord(message: Message, arn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: LOCAL_REGION,
  };
}

/**
 * A local Lambda event source mapping for SQS: gathers batches, invokes the handler, deletes
 * what succeeded, and leaves `batchItemFailures` (or a whole failed batch) to come back after
 * the visibility timeout, so the queue's redrive policy moves poison messages to the DLQ.
 */
export class SqsPoller {
  private running = false;
  private loops: Promise<void>[] = [];
  private inFlight = 0;
  /** Invocations that threw (a crashed Lambda); their messages return to the queue. */
  crashes = 0;

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 2 }, () => this.loop());
  }

  private async receiveBatch(): Promise<Message[]> {
    const { sqs, queueUrl, batchSize, batchingWindowMs } = this.options;
    const batch: Message[] = [];
    const deadline = Date.now() + batchingWindowMs;
    while (this.running && batch.length < batchSize) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          WaitTimeSeconds: batch.length ? 0 : 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      batch.push(...messages);
      if (messages.length === 0 && (batch.length > 0 || Date.now() >= deadline)) break;
      if (batch.length > 0 && Date.now() >= deadline) break;
    }
    return batch;
  }

  private async loop(): Promise<void> {
    const { sqs, queueUrl, handler } = this.options;
    const arn = `arn:aws:sqs:${LOCAL_REGION}:000000000000:${queueUrl.split('/').pop()}`;
    while (this.running) {
      let batch: Message[];
      try {
        batch = await this.receiveBatch();
      } catch {
        await sleep(200);
        continue;
      }
      if (batch.length === 0) continue;
      this.inFlight++;
      try {
        const event: SQSEvent = { Records: batch.map((m) => toRecord(m, arn)) };
        const invoke = () => handler(event, { getRemainingTimeInMillis: timeBudget(this.options.timeoutMs) });
        const invocations = this.options.deliverTwice ? [invoke(), invoke()] : [invoke()];
        const results = await Promise.allSettled(invocations);
        const failed = new Set<string>();
        let crashed = false;
        for (const result of results) {
          if (result.status === 'rejected') {
            crashed = true;
            this.options.onCrash?.(result.reason);
          }
          else for (const f of result.value.batchItemFailures) failed.add(f.itemIdentifier);
        }
        if (crashed) {
          this.crashes++;
          continue; // As Lambda: a failed invocation returns the whole batch to the queue.
        }
        const done = batch.filter((m) => !failed.has(m.MessageId!));
        if (done.length) await this.options.onHandled?.(done.map((m) => m.Body ?? ''));
        for (let i = 0; i < done.length; i += 10) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
      } finally {
        this.inFlight--;
      }
    }
  }

  /** Messages on the queue, visible or in flight. */
  async depth(): Promise<number> {
    const out = await this.options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const a = out.Attributes ?? {};
    return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
  }

  /** True when the queue is empty and no batch is being handled. */
  async idle(): Promise<boolean> {
    return this.inFlight === 0 && (await this.depth()) === 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
