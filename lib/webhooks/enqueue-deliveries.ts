import { idTimeMs } from '../domain/ids';
import type { StripeEvent } from '../events/events';
import type { DeliveryMessage, WebhookEndpoint, WebhookResend } from './model';
import type { WebhookStore } from './webhook-store';

export interface EnqueueDeps {
  store: Pick<WebhookStore, 'directory'>;
  /** Puts message bodies on the webhook deliveries queue, 10 per SendMessageBatch. */
  publish(bodies: readonly string[]): Promise<void>;
}

/** True when `endpoint` takes `event`: same mode, a subscribed type, and created before the event. */
export function endpointTakes(endpoint: WebhookEndpoint, event: StripeEvent): boolean {
  if (endpoint.status !== 'enabled' || endpoint.livemode !== event.livemode) return false;
  if (!endpoint.enabled_events.includes('*') && !endpoint.enabled_events.includes(event.type)) return false;
  // As Stripe: an endpoint gets the events that happen after it was created. Ids carry the wall
  // clock (event.created may be a test clock's time); compared to the second, since some events
  // carry their request's second and other processes' clocks differ by a few ms.
  const endpointMs = idTimeMs(endpoint.id) ?? endpoint.created * 1000;
  const eventMs = idTimeMs(event.id) ?? event.created * 1000;
  return Math.floor(eventMs / 1000) >= Math.floor(endpointMs / 1000);
}

/**
 * Queues one delivery per (event, enabled endpoint that takes it). The endpoints are read once
 * per call, consistently, from the endpoint directory: an endpoint created or enabled before an
 * event committed is always seen. Throws when a message cannot be queued, so that the caller (a
 * stream batch) is retried.
 */
export function makeEnqueueDeliveries(deps: EnqueueDeps) {
  return async function enqueue(events: readonly StripeEvent[], nowMs: number): Promise<void> {
    if (events.length === 0) return;
    const { endpoints } = await deps.store.directory();
    const bodies: string[] = [];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (!endpointTakes(endpoint, event)) continue;
        const message: DeliveryMessage = { event: event.id, endpoint: endpoint.id, livemode: event.livemode, attempt: 1, first_attempt_at: nowMs };
        bodies.push(JSON.stringify(message));
      }
    }
    if (bodies.length) await deps.publish(bodies);
  };
}

export type EnqueueDeliveries = ReturnType<typeof makeEnqueueDeliveries>;

/**
 * The one delivery of each resend (recorded by POST /v1/webhook_endpoints/:id/resend, handed on
 * by the stream fan-out): the endpoint and event it names, attempt 1, marked as that resend so
 * that the dispatcher records it apart from the automatic attempts and never retries it.
 */
export function resendMessages(resends: readonly WebhookResend[], nowMs: number): string[] {
  return resends.map((resend) => {
    const message: DeliveryMessage = { event: resend.event, endpoint: resend.endpoint, livemode: resend.livemode, attempt: 1, first_attempt_at: nowMs, resend: resend.id };
    return JSON.stringify(message);
  });
}
