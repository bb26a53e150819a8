import { EVENT_RETENTION_SECONDS } from '../events/events';
import { keys } from '../store/keys';
import { objectItem, type ObjectStore } from '../store/objects';
import type { DeletedWebhookEndpoint, WebhookAttempt, WebhookEndpoint } from './model';

/** An endpoint with the secret that signs its deliveries (never part of the API object). */
export interface StoredEndpoint {
  endpoint: WebhookEndpoint;
  secret: string;
}


/**
 * Webhook endpoints and delivery attempts in the main table. An endpoint is one item: the API
 * object, listed by kind and by status (the enqueue reads the enabled ones), with its signing
 * secret in a top-level attribute that no API response includes.
 */
export class WebhookStore {
  constructor(readonly objects: ObjectStore) {}

  private item(stored: StoredEndpoint) {
    return { ...objectItem('webhook_endpoint', stored.endpoint, { name: 'status', value: stored.endpoint.status }), secret: stored.secret };
  }

  /** Writes a new endpoint; false when the id is taken. */
  create(stored: StoredEndpoint): Promise<boolean> {
    return this.put(this.item(stored), 'attribute_not_exists(pk)');
  }

  /** Replaces a live endpoint (its list keys show it is not a deletion record); false when it was deleted meanwhile. */
  replace(stored: StoredEndpoint): Promise<boolean> {
    return this.put(this.item(stored), 'attribute_exists(kind_pk)');
  }

  /** The live endpoint and its secret; undefined when missing or deleted. */
  async load(id: string, consistent = false): Promise<StoredEndpoint | undefined> {
    return storedEndpointOf(await this.objects.getItem(keys.object('webhook_endpoint', id), consistent));
  }

  /** Replaces the endpoint with a deletion record (no list keys, no secret). */
  delete(record: DeletedWebhookEndpoint): Promise<void> {
    return this.objects.tombstone('webhook_endpoint', record);
  }

  /**
   * Records an attempt once: false when this attempt of this event to this endpoint was already
   * recorded (the message was delivered again after a crash).
   */
  recordAttempt(attempt: WebhookAttempt): Promise<boolean> {
    return this.put(
      {
        ...keys.webhookAttempt(attempt.endpoint, attempt.event, attempt.attempt),
        ...keys.ownerList('webhook_attempt', attempt.endpoint, attempt.created, attempt.id),
        object: attempt,
        // Kept as long as the events they deliver, then DynamoDB TTL removes them.
        expires_at: attempt.created + EVENT_RETENTION_SECONDS,
      },
      'attribute_not_exists(pk)',
    );
  }

  private put(item: Record<string, unknown>, condition: string): Promise<boolean> {
    return this.objects.putItem(item, condition);
  }
}

/** The endpoint and secret in a raw item; undefined for a deletion record or no item. */
export function storedEndpointOf(item: Record<string, unknown> | undefined): StoredEndpoint | undefined {
  const endpoint = item?.object as (WebhookEndpoint | DeletedWebhookEndpoint) | undefined;
  if (!item || !endpoint || 'deleted' in endpoint || typeof item.secret !== 'string') return undefined;
  return { endpoint, secret: item.secret };
}
