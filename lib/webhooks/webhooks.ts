import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { webhookDelivery } from '../store/resources';
import type { ObjectStore } from '../store/objects';
import type { StripeEvent } from '../events/events';
import { listEvents, retrieveEvent, type ListEventsCommand } from '../events/list-events';
import { InvalidRequestError } from '../errors';
import { DeliveryQueue } from './delivery-queue';
import { makeDispatch, type QueuedDelivery } from './dispatch';
import { makeHttpPost } from './http-post';
import { makeEnqueueDeliveries, resendMessages } from './enqueue-deliveries';
import type { RetryEventCommand, WebhookResend } from './model';
import { makeResendEvent, type ResendCommand, type ResendRequest } from './resend-event';
import { withPendingWebhooks } from './pending-webhooks';
import { WebhookEndpoints } from './webhook-endpoints';
import { WebhookStore } from './webhook-store';

export interface WebhooksDeps {
  objects: ObjectStore;
  sqs: SQSClient;
  /** The webhook deliveries queue; without it, enqueue and dispatch throw (the api function only manages endpoints). */
  queueUrl?: string;
  firstRetrySeconds: number;
  /** Test mode endpoints may point at non-public addresses (the local stack). */
  privateTestUrls: boolean;
  /** @default webhookDelivery.timeoutMs (10 s) */
  timeoutMs?: number;
  nowMs: () => number;
  logger: Logger;
}

/** Webhook endpoints, resends, the enqueue of deliveries (called by the event fan-out) and the dispatcher. */
export function createWebhooks(deps: WebhooksDeps) {
  const store = new WebhookStore(deps.objects);
  const publicOnly = (livemode: boolean) => livemode || !deps.privateTestUrls;
  const queue = deps.queueUrl ? new DeliveryQueue(deps.sqs, deps.queueUrl) : undefined;
  const needQueue = () => {
    if (!queue) throw new Error('The webhook deliveries queue URL is not configured (METERLINE_WEBHOOK_DELIVERIES_QUEUE_URL).');
    return queue;
  };
  const enqueue = makeEnqueueDeliveries({ store, publish: (bodies) => needQueue().publish(bodies) });
  const resend = makeResendEvent(store);
  const dispatch = makeDispatch({
    store,
    queue: { sendDelayed: (body, delay) => needQueue().sendDelayed(body, delay) },
    policy: {
      firstRetrySeconds: deps.firstRetrySeconds,
      maxRetryDelaySeconds: webhookDelivery.maxRetryDelaySeconds,
      giveUpAfterSeconds: webhookDelivery.giveUpAfterSeconds,
    },
    timeoutMs: deps.timeoutMs ?? webhookDelivery.timeoutMs,
    nowMs: deps.nowMs,
    logger: deps.logger,
    post: makeHttpPost(),
    publicOnly,
  });
  return {
    endpoints: new WebhookEndpoints(store, deps.nowMs, publicOnly),
    store,
    /** Queues one delivery per (event, enabled endpoint subscribed to its type). */
    enqueue: (events: readonly StripeEvent[], nowMs: number) => enqueue(events, nowMs),
    /** Records a resend of an event to an endpoint (its delivery is queued by the fan-out when the record appears on the stream). */
    resend: (command: ResendCommand) => resend(command),
    /** Queues the one delivery of each resend (called by the event fan-out). */
    enqueueResends: async (resends: readonly WebhookResend[], nowMs: number) => {
      if (resends.length) await needQueue().publish(resendMessages(resends, nowMs));
    },
    /** The events with `pending_webhooks` as it is now. */
    withPendingWebhooks: (events: readonly StripeEvent[]) => withPendingWebhooks(store, events),
    /** GET /v1/events/:id, with `pending_webhooks` counted when it is read. */
    retrieveEvent: async (id: string): Promise<StripeEvent> => (await withPendingWebhooks(store, [await retrieveEvent(deps.objects, id)]))[0]!,
    /** GET /v1/events, with `pending_webhooks` counted when they are read. */
    listEvents: async (command: ListEventsCommand) => {
      const page = await listEvents(deps.objects, command);
      return { ...page, data: await withPendingWebhooks(store, page.data) };
    },
    /**
     * POST /v1/events/:id/retry (the Stripe CLI's `events resend evt_… --webhook-endpoint=we_…`):
     * a resend to a webhook endpoint (Meterline has no CLI listener), answered with the event.
     */
    retryEvent: async (eventId: string, command: RetryEventCommand, now: number, request: ResendRequest): Promise<StripeEvent> => {
      const endpoint = command.webhook_endpoint;
      if (!endpoint) {
        throw new InvalidRequestError('Meterline resends events to webhook endpoints only (it has no Stripe CLI listener): pass webhook_endpoint.', 'webhook_endpoint', 'parameter_missing');
      }
      const names = { endpoint: 'webhook_endpoint', event: 'id' };
      const { event } = await resend({ endpoint, event: eventId, now, request, names });
      return (await withPendingWebhooks(store, [event]))[0]!;
    },
    /** Attempts the deliveries of a batch of queue messages. */
    dispatch: (messages: readonly QueuedDelivery[]) => dispatch(messages),
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
