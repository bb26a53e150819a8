import { DAY, MINUTE } from '../domain/time';
import { eventValueText } from '../domain/event-value';
import { dimensionKeysOf, type Formula, type Meter } from '../meters/meters';
import { dimensionsOf, MAX_DIMENSION_VALUE_LENGTH, type Dimensions } from '../domain/dimensions';

/** A meter event as the client sent it (timestamp already in Unix seconds when it parsed). */
export interface RawMeterEvent {
  identifier: string;
  event_name: string;
  timestamp: number | string;
  payload: Record<string, string>;
  /** Sent without a timestamp: it happened at its customer's "now" (a test clock's frozen time). */
  untimed?: true;
}

/** A validated event: everything the consumer needs to claim and aggregate it. */
export interface ValidMeterEvent {
  identifier: string;
  eventName: string;
  meterId: string;
  customerId: string;
  formula: Formula;
  timestamp: number;
  /** Exact decimal text; '1' for count meters. */
  value: string;
  /** The event's dimension values, for a meter with dimension keys (possibly none of them set). */
  dimensions?: Dimensions;
}

/** Message bodies on the meter-events queue. */
export type MeterQueueMessage =
  | {
      type: 'meter_events';
      received: number;
      /** When the API received the events, in milliseconds (usage alerts count usage received after their creation). */
      received_ms?: number;
      livemode: boolean;
      events: RawMeterEvent[];
      /** Validated synchronously and accepted: counts even if its meter or customer goes away. */
      accepted?: boolean;
    }
  | { type: 'cancel'; received: number; livemode: boolean; event_name: string; identifier: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isRawEvent(v: unknown): v is RawMeterEvent {
  return (
    isRecord(v) &&
    typeof v.identifier === 'string' &&
    typeof v.event_name === 'string' &&
    (typeof v.timestamp === 'number' || typeof v.timestamp === 'string') &&
    isRecord(v.payload) &&
    Object.values(v.payload).every((x) => typeof x === 'string')
  );
}

/** A queue message body, or undefined when it is not one this service wrote (a poison message). */
export function parseQueueMessage(body: string): MeterQueueMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.received !== 'number' || typeof value.livemode !== 'boolean') return undefined;
  if (
    value.type === 'meter_events' &&
    Array.isArray(value.events) &&
    value.events.every(isRawEvent) &&
    (value.accepted === undefined || typeof value.accepted === 'boolean') &&
    (value.received_ms === undefined || typeof value.received_ms === 'number')
  ) {
    return value as MeterQueueMessage;
  }
  if (value.type === 'cancel' && typeof value.event_name === 'string' && typeof value.identifier === 'string') {
    return value as MeterQueueMessage;
  }
  return undefined;
}

export const MAX_IDENTIFIER_LENGTH = 100;
export const MAX_PAST_SECONDS = 35 * DAY;
export const MAX_FUTURE_SECONDS = 5 * MINUTE;

/** Stripe's error codes for meter events that fail validation. */
export type MeterEventErrorCode =
  | 'no_meter'
  | 'archived_meter'
  | 'meter_event_no_customer_defined'
  | 'meter_event_customer_not_found'
  | 'meter_event_value_not_found'
  | 'meter_event_invalid_value'
  | 'meter_event_invalid_identifier'
  | 'timestamp_invalid'
  | 'timestamp_too_far_in_past'
  | 'timestamp_in_future'
  | 'meter_event_invalid_dimension_value'
  | 'dimension_combinations_exceeded';

export interface MeterEventError {
  code: MeterEventErrorCode;
  message: string;
  /** The request parameter at fault, for synchronous 400s. */
  param: string;
}

/** Parses a v2 timestamp (RFC 3339) or v1 timestamp (Unix seconds) into Unix seconds. */
export function parseTimestamp(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

export interface ValidationContext {
  /** The meter that owns the event's event_name, if any. */
  meter: Meter | undefined;
  /** Whether a customer id exists (and is not deleted). */
  customerExists: (customerId: string) => boolean;
  /** "Now" for live customers: the time the event was received. */
  now: number;
  /** "Now" for customers on a test clock: the clock's frozen time. */
  clockNow?: (customerId: string) => number | undefined;
  /** The event was validated and accepted already (v1 and v2 single events). */
  accepted?: boolean;
}

/**
 * A payload's own string under `key`: a payload key named like an Object method (`toString`,
 * `constructor`) is read from the payload itself, never from its prototype.
 */
function payloadValue(payload: Readonly<Record<string, string>>, key: string): string | undefined {
  if (!Object.hasOwn(payload, key)) return undefined;
  const value: unknown = payload[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Validates one event against its meter and customer; the same rules run synchronously (v1 and
 * v2 meter_events) and asynchronously (v2 stream, in the consumer).
 */
export function validateMeterEvent(
  event: RawMeterEvent,
  context: ValidationContext,
): { ok: true; event: ValidMeterEvent } | { ok: false; error: MeterEventError } {
  const fail = (code: MeterEventErrorCode, message: string, param: string) => ({ ok: false as const, error: { code, message, param } });
  if (!event.identifier || event.identifier.length > MAX_IDENTIFIER_LENGTH) {
    return fail('meter_event_invalid_identifier', `The identifier must be 1 to ${MAX_IDENTIFIER_LENGTH} characters.`, 'identifier');
  }
  const meter = context.meter;
  if (!meter) return fail('no_meter', `No active meter was found for event_name '${event.event_name}'.`, 'event_name');
  if (meter.status !== 'active' && !context.accepted) {
    return fail('archived_meter', `The meter for event_name '${event.event_name}' is inactive.`, 'event_name');
  }
  const customerKey = meter.customer_mapping.event_payload_key;
  const customerId = payloadValue(event.payload, customerKey);
  const now = (customerId ? context.clockNow?.(customerId) : undefined) ?? context.now;
  const timestamp = event.untimed ? now : parseTimestamp(event.timestamp);
  if (timestamp === undefined) return fail('timestamp_invalid', 'The timestamp is not a valid time.', 'timestamp');
  // An accepted event was checked on receipt; a test clock may have moved on since.
  if (!context.accepted && timestamp < now - MAX_PAST_SECONDS) {
    return fail('timestamp_too_far_in_past', 'The timestamp must be within the past 35 days.', 'timestamp');
  }
  if (!context.accepted && timestamp > now + MAX_FUTURE_SECONDS) {
    return fail('timestamp_in_future', 'The timestamp can be at most 5 minutes in the future.', 'timestamp');
  }
  if (!customerId) {
    return fail('meter_event_no_customer_defined', `The payload has no '${customerKey}'.`, `payload[${customerKey}]`);
  }
  if (!context.accepted && !context.customerExists(customerId)) {
    return fail('meter_event_customer_not_found', `No such customer: '${customerId}'.`, `payload[${customerKey}]`);
  }
  const formula = meter.default_aggregation.formula;
  let value = '1';
  if (formula !== 'count') {
    const valueKey = meter.value_settings.event_payload_key;
    const raw = payloadValue(event.payload, valueKey);
    if (raw === undefined || raw === '') {
      return fail('meter_event_value_not_found', `The payload has no '${valueKey}'.`, `payload[${valueKey}]`);
    }
    const text = eventValueText(raw);
    if (text === undefined) {
      return fail('meter_event_invalid_value', `'${raw}' is not a decimal of at most 15 significant digits.`, `payload[${valueKey}]`);
    }
    value = text;
  }
  const valid: ValidMeterEvent = { identifier: event.identifier, eventName: event.event_name, meterId: meter.id, customerId, formula, timestamp, value };
  const keys = dimensionKeysOf(meter);
  if (keys.length === 0) return { ok: true, event: valid };
  // A dimension key that is missing (or empty) means no value for that dimension.
  const entries: [string, string][] = [];
  for (const key of keys) {
    const dimension = payloadValue(event.payload, key);
    if (dimension === undefined || dimension === '') continue;
    if (dimension.length > MAX_DIMENSION_VALUE_LENGTH) {
      return fail('meter_event_invalid_dimension_value', `The value of dimension '${key}' can be at most ${MAX_DIMENSION_VALUE_LENGTH} characters.`, `payload[${key}]`);
    }
    entries.push([key, dimension]);
  }
  return { ok: true, event: { ...valid, dimensions: dimensionsOf(entries) } };
}
