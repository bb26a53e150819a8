import { newId } from '../domain/ids';
import { objectItem } from '../store/objects';
import { currentRequest } from './request-context';

/** A Stripe event: a state change of an API object, recorded in the same transaction as the change. */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** The API version Meterline's objects follow (the one the `stripe` SDK it is tested with pins). */
export const API_VERSION = '2026-10-28.endive';

/** Events are kept 30 days (Stripe's retention for the events API), then DynamoDB TTL removes them. */
export const EVENT_RETENTION_SECONDS = 30 * 86_400;

export interface EventInput {
  type: string;
  object: { livemode: boolean };
  /** Unix seconds the change happened (a test clock's time for objects on a clock). */
  created: number;
  previous?: Record<string, unknown>;
  /** Wall clock, milliseconds: orders event ids and fixes the expiry. */
  nowMs: number;
}

/** The event for a change, naming the API request that made it (none for automatic changes). */
export function newEvent(input: EventInput): StripeEvent {
  return {
    id: newId('event', input.nowMs),
    object: 'event',
    api_version: API_VERSION,
    created: input.created,
    data: input.previous ? { object: input.object, previous_attributes: input.previous } : { object: input.object },
    livemode: input.object.livemode,
    pending_webhooks: 0,
    request: { ...currentRequest() },
    type: input.type,
  };
}

/** The Put that records an API request's change to `object`, made now (Unix seconds). */
export function changeEvent(tableName: string, type: string, object: { livemode: boolean }, now: number, previous?: Record<string, unknown>) {
  return eventPut(tableName, { type, object, created: now, previous, nowMs: now * 1000 });
}

/** A transaction Put that records the event, listed by type. */
export function eventPut(tableName: string, input: EventInput) {
  const event = newEvent(input);
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...objectItem('event', event, { name: 'type', value: event.type }),
        expires_at: Math.floor(input.nowMs / 1000) + EVENT_RETENTION_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Stripe's `previous_attributes`: the values, before the change, of the top-level attributes it changed. */
export function previousAttributes<T extends object>(before: T, after: T): Record<string, unknown> {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof T & string>;
  return Object.fromEntries(
    [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).map((key) => [key, before[key] ?? null]),
  );
}
