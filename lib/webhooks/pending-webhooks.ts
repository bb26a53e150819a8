import type { StripeEvent } from '../events/events';
import { endpointTakes } from './enqueue-deliveries';
import type { WebhookEndpoint } from './model';
import type { WebhookStore } from './webhook-store';

/**
 * Stripe's `pending_webhooks` of an event: the endpoints that take it (enabled, of its mode,
 * subscribed to its type, created no later than the event) and have not answered one of its
 * deliveries with a 2xx. A delivery given up after 3 days stays pending; a disabled or deleted
 * endpoint gets nothing more, so it is not waited for.
 */
export function pendingWebhooks(event: StripeEvent, endpoints: readonly WebhookEndpoint[], deliveredTo: ReadonlySet<string> | undefined): number {
  return endpoints.filter((endpoint) => endpointTakes(endpoint, event) && !deliveredTo?.has(endpoint.id)).length;
}

/**
 * The events with `pending_webhooks` as it is now (what the events API answers). One read of the
 * endpoint directory; the delivered sets only of events some endpoint takes (none without endpoints).
 */
export async function withPendingWebhooks(store: WebhookStore, events: readonly StripeEvent[]): Promise<StripeEvent[]> {
  if (!events.length) return [];
  const { endpoints } = await store.directory();
  const taken = events.filter((event) => endpoints.some((endpoint) => endpointTakes(endpoint, event)));
  const delivered = taken.length ? await store.deliveredTo(taken.map((event) => event.id)) : new Map<string, Set<string>>();
  return events.map((event) => ({ ...event, pending_webhooks: pendingWebhooks(event, endpoints, delivered.get(event.id)) }));
}
