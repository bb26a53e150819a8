import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_RETENTION_SECONDS } from '../events/events';
import { listVersionCondition, type TransactItem } from '../store/dynamo';
import type { Key, ModeKeys } from '../store/keys';
import { objectItem, type ObjectStore } from '../store/objects';
import type { DeletedWebhookEndpoint, DeliveryMessage, WebhookAttempt, WebhookEndpoint, WebhookResend } from './model';

/** An endpoint with the secret that signs its deliveries (never part of the API object). */
export interface StoredEndpoint {
  endpoint: WebhookEndpoint;
  secret: string;
}

/** Every live endpoint (enabled or disabled) and the version of the item that holds them; version 0: no item yet. */
export interface EndpointDirectory {
  version: number;
  endpoints: WebhookEndpoint[];
}

/**
 * Webhook endpoints and delivery attempts in the main table. An endpoint is one item: the API
 * object, listed by kind, with its signing secret in a top-level attribute that no API response
 * includes. The live endpoints are also kept together in one versioned directory item that every
 * endpoint change rewrites in its transaction, on condition of the version read: the event
 * fan-out reads it consistently (an endpoint takes effect the moment its change commits, which an
 * index read could not promise) and the endpoint limit cannot be raced past.
 */
export class WebhookStore {
  constructor(readonly objects: ObjectStore) {}

  private item(stored: StoredEndpoint) {
    return { ...objectItem('webhook_endpoint', stored.endpoint), secret: stored.secret };
  }

  /** The live endpoints, read consistently. */
  async directory(): Promise<EndpointDirectory> {
    return directoryOf(await this.objects.getItem(this.objects.keys.webhookEndpoints(), true));
  }

  /** Records that `endpointId` answered a delivery of `eventId` with a 2xx (idempotent: a set). */
  async markDelivered(eventId: string, endpointId: string, nowSeconds: number): Promise<void> {
    await this.objects.db.send(
      new UpdateCommand({
        TableName: this.objects.tableName,
        Key: this.objects.keys.eventDeliveries(eventId),
        UpdateExpression: 'ADD endpoints :e SET #ev = :v, expires_at = :x',
        ExpressionAttributeNames: { '#ev': 'event' },
        ExpressionAttributeValues: { ':e': new Set([endpointId]), ':v': eventId, ':x': nowSeconds + EVENT_RETENTION_SECONDS },
      }),
    );
  }

  /** Event id -> the endpoints that acknowledged it (events none did are absent). */
  async deliveredTo(eventIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const items = await this.objects.getItems(eventIds.map((id) => this.objects.keys.eventDeliveries(id)));
    return new Map(items.map((item) => [String(item.event), deliveredOf(item)]));
  }

  /** Writes a new endpoint into `read` (the directory as read); false when the id is taken or the directory changed. */
  create(stored: StoredEndpoint, read: EndpointDirectory): Promise<boolean> {
    return this.objects.putItem(this.item(stored), 'attribute_not_exists(pk)', [this.directoryPut(read, [...read.endpoints, stored.endpoint])]);
  }

  /** Replaces a live endpoint (its list keys show it is not a deletion record); false when it was deleted or the directory changed. */
  replace(stored: StoredEndpoint, read: EndpointDirectory): Promise<boolean> {
    const endpoints = read.endpoints.map((e) => (e.id === stored.endpoint.id ? stored.endpoint : e));
    return this.objects.putItem(this.item(stored), 'attribute_exists(kind_pk)', [this.directoryPut(read, endpoints)]);
  }

  /** The live endpoint and its secret; undefined when missing or deleted. */
  async load(id: string, consistent = false): Promise<StoredEndpoint | undefined> {
    return storedEndpointOf(await this.objects.getItem(this.objects.keys.object('webhook_endpoint', id), consistent));
  }

  /** Replaces the endpoint with a deletion record (no list keys, no secret); false when it was deleted or the directory changed. */
  delete(record: DeletedWebhookEndpoint, read: EndpointDirectory): Promise<boolean> {
    const endpoints = read.endpoints.filter((e) => e.id !== record.id);
    return this.objects.putItem(this.objects.tombstoneItem('webhook_endpoint', record), 'attribute_exists(kind_pk)', [this.directoryPut(read, endpoints)]);
  }

  private directoryPut(read: EndpointDirectory, endpoints: WebhookEndpoint[]): TransactItem {
    return {
      Put: {
        TableName: this.objects.tableName,
        Item: { ...this.objects.keys.webhookEndpoints(), endpoints, version: read.version + 1 },
        ...listVersionCondition(read.version),
      },
    };
  }

  /**
   * Records an attempt once: false when this attempt of this event to this endpoint was already
   * recorded (the message was delivered again after a crash).
   */
  recordAttempt(attempt: WebhookAttempt): Promise<boolean> {
    return this.objects.putItem(
      {
        ...attemptKey(this.objects.keys, attempt),
        ...this.objects.keys.ownerList('webhook_attempt', attempt.endpoint, attempt.created, attempt.id),
        object: attempt,
        // Kept as long as the events they deliver, then DynamoDB TTL removes them.
        expires_at: attempt.created + EVENT_RETENTION_SECONDS,
      },
      'attribute_not_exists(pk)',
    );
  }

  /**
   * Records a resend once, in its event's partition, kept as long as the event (`expiresAt`): its
   * insert is what queues its delivery (the stream fan-out). False when it was recorded already:
   * the request that asked for it ran again.
   */
  recordResend(resend: WebhookResend, expiresAt: number): Promise<boolean> {
    return this.objects.putItem({ ...this.objects.keys.eventResend(resend.event, resend.id), object: resend, expires_at: expiresAt }, 'attribute_not_exists(pk)');
  }

  /** A resend recorded earlier, read consistently; undefined when there is none. */
  async loadResend(eventId: string, resendId: string): Promise<WebhookResend | undefined> {
    return (await this.objects.getItem(this.objects.keys.eventResend(eventId, resendId), true))?.object as WebhookResend | undefined;
  }
}

/** The key of an attempt: by its number for the automatic ones, by its resend for a resend's one attempt. */
export function attemptKey(keys: ModeKeys, attempt: Pick<DeliveryMessage, 'endpoint' | 'event' | 'attempt'> & { resend?: string | null }): Key {
  return attempt.resend
    ? keys.webhookResendAttempt(attempt.endpoint, attempt.event, attempt.resend)
    : keys.webhookAttempt(attempt.endpoint, attempt.event, attempt.attempt);
}

/** The endpoint directory in a raw item (none yet: version 0, no endpoints). */
export function directoryOf(item: Record<string, unknown> | undefined): EndpointDirectory {
  return item ? { version: Number(item.version), endpoints: item.endpoints as WebhookEndpoint[] } : { version: 0, endpoints: [] };
}

/** The endpoints an event's delivered item names (none for no item). */
export function deliveredOf(item: Record<string, unknown> | undefined): Set<string> {
  return new Set(item?.endpoints as Set<string> | undefined);
}

/** The endpoint and secret in a raw item; undefined for a deletion record or no item. */
export function storedEndpointOf(item: Record<string, unknown> | undefined): StoredEndpoint | undefined {
  const endpoint = item?.object as (WebhookEndpoint | DeletedWebhookEndpoint) | undefined;
  if (!item || !endpoint || 'deleted' in endpoint || typeof item.secret !== 'string') return undefined;
  return { endpoint, secret: item.secret };
}
