import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueuePublisher } from '../messaging/publisher';

/** The webhook deliveries queue: first attempts in batches, retries one at a time with a delay. */
export class DeliveryQueue {
  private readonly publisher: QueuePublisher;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {
    this.publisher = new QueuePublisher(sqs, queueUrl, undefined, 'Webhook deliveries');
  }

  /** Queues first attempts, 10 per SendMessageBatch; throws when one cannot be queued. */
  publish(bodies: readonly string[]): Promise<void> {
    return this.publisher.publish(bodies);
  }

  /** Queues one message that becomes visible after `delaySeconds` (0..900). */
  async sendDelayed(body: string, delaySeconds: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, DelaySeconds: delaySeconds }));
  }
}
