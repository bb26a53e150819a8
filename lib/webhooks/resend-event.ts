import { createHash, randomUUID } from 'node:crypto';
import { InvalidRequestError, NotFoundError } from '../errors';
import { EVENT_RETENTION_SECONDS, type StripeEvent } from '../events/events';
import { endpointTakes } from './enqueue-deliveries';
import type { WebhookResend } from './model';
import type { WebhookStore } from './webhook-store';

/** The request that asks for a resend: what lets a retry of that same request find the resend it made. */
export interface ResendRequest {
  /** The API key's id: Idempotency-Keys are per key. */
  keyId: string;
  /** The request's id (`req_…`): the same when the same HTTP request is handled again. */
  requestId: string | null;
  /** The request's Idempotency-Key: the same when a client retries the request. */
  idempotencyKey: string | null;
}

export interface ResendCommand {
  endpoint: string;
  event: string;
  /** Request time, Unix seconds. */
  now: number;
  request: ResendRequest;
  /**
   * The names errors report the endpoint and the event under: Meterline's route has the endpoint
   * in its path (`id`, a 404) and the event as a parameter; the Stripe CLI's the other way round.
   * @default { endpoint: 'id', event: 'event' }
   */
  names?: { endpoint: string; event: string };
}

const RESEND_ID_PREFIX = 'whrs';

/**
 * The id of the resend a request asks for: a digest of its Idempotency-Key (per API key) when it
 * has one, else of its request id, and of the endpoint and event. Every run of one request (a
 * retried invocation, a client retrying with the same key after losing the answer) names the
 * same resend, which is recorded once; any other request names a new one.
 */
export function resendIdOf(command: Pick<ResendCommand, 'endpoint' | 'event' | 'request'>): string {
  const { keyId, requestId, idempotencyKey } = command.request;
  const basis =
    idempotencyKey !== null ? ['key', keyId, idempotencyKey] : requestId !== null ? ['request', requestId] : ['unrepeatable', randomUUID()];
  const digest = createHash('sha256').update(JSON.stringify([...basis, command.endpoint, command.event])).digest('hex');
  return `${RESEND_ID_PREFIX}_${digest.slice(0, 24)}`;
}

/**
 * Resends an event to a webhook endpoint (Stripe's Dashboard "Resend", the CLI's `events
 * resend`): records one resend, whose insert the stream fan-out turns into one delivery message.
 * That delivery is a single attempt, signed like every other and listed with the endpoint's
 * attempts; a failed one is not retried (the automatic schedule of the event's first delivery
 * goes on as it was). The endpoint must be enabled and take the event (a type it is subscribed
 * to, an event from after it was created); the event must be younger than the 30 days events are kept.
 */
export function makeResendEvent(store: WebhookStore) {
  const { keys } = store.objects;
  return async function resendEvent(command: ResendCommand): Promise<{ resend: WebhookResend; event: StripeEvent }> {
    const names = command.names ?? { endpoint: 'id', event: 'event' };
    const stored = await store.load(command.endpoint, true);
    if (!stored) throw new NotFoundError('webhook_endpoint', command.endpoint, names.endpoint);
    const item = await store.objects.getItem(keys.object('event', command.event));
    const event = item?.object as StripeEvent | undefined;
    if (!item || !event) throw new NotFoundError('event', command.event, names.event);
    // TTL removes an expired event within days, not at once: until then it is still stored, but no longer resent.
    const expiresAt = typeof item.expires_at === 'number' ? item.expires_at : command.now + EVENT_RETENTION_SECONDS;
    if (expiresAt <= command.now) {
      throw new InvalidRequestError(`Event ${event.id} is older than 30 days: only the events of the last 30 days can be resent.`, names.event, 'resource_missing');
    }
    const { endpoint } = stored;
    if (endpoint.status !== 'enabled') {
      throw new InvalidRequestError(
        `Webhook endpoint ${endpoint.id} is disabled: enable it to resend events to it.`,
        names.endpoint === 'id' ? undefined : names.endpoint,
        'webhook_endpoint_disabled',
      );
    }
    if (!endpointTakes(endpoint, event)) {
      throw new InvalidRequestError(
        `Event ${event.id} (${event.type}) is not one webhook endpoint ${endpoint.id} takes: its enabled_events do not include ${event.type}, or the event happened before the endpoint was created.`,
        names.event,
      );
    }
    const resend: WebhookResend = {
      id: resendIdOf(command),
      object: 'webhook_resend',
      created: command.now,
      endpoint: endpoint.id,
      event: event.id,
      event_type: event.type,
      livemode: event.livemode,
    };
    if (await store.recordResend(resend, expiresAt)) return { resend, event };
    // This request ran before and recorded its resend (whose delivery is queued): answer that one, queue nothing more.
    const earlier = await store.loadResend(event.id, resend.id);
    if (!earlier) throw new Error(`The resend ${resend.id} was neither recorded nor found`);
    return { resend: earlier, event };
  };
}

export type ResendEvent = ReturnType<typeof makeResendEvent>;
