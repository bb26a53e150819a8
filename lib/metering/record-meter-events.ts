import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/api-keys';
import { InvalidRequestError } from '../errors';
import { HOUR } from '../domain/time';
import type { QueuePublisher } from '../messaging/publisher';
import type { Directory } from './directory';
import type { UsageStore } from './usage-store';
import { MAX_IDENTIFIER_LENGTH, parseTimestamp, validateMeterEvent, type MeterQueueMessage, type RawMeterEvent } from './meter-event';

export const MAX_STREAM_EVENTS = 100;

export interface IngestDeps {
  directory: Directory;
  /** Absent where no queue is configured (the api function never takes these routes). */
  publisher: QueuePublisher | undefined;
  usage: UsageStore;
  nowMs: () => number;
}

/** SQS takes 256 KiB per message everywhere (1 MiB in newer regions): stay well below. */
export const MAX_MESSAGE_BYTES = 200 * 1024;
/** A meter event's payload, as JSON: half a message, so that every single event can be queued. */
export const MAX_PAYLOAD_BYTES = 100 * 1024;

/** One message per request, split in halves while it is too large for SQS. */
export function toMessageBodies(message: MeterQueueMessage): string[] {
  const body = JSON.stringify(message);
  if (Buffer.byteLength(body) <= MAX_MESSAGE_BYTES || message.type !== 'meter_events' || message.events.length < 2) {
    return [body];
  }
  const half = Math.ceil(message.events.length / 2);
  return [
    ...toMessageBodies({ ...message, events: message.events.slice(0, half) }),
    ...toMessageBodies({ ...message, events: message.events.slice(half) }),
  ];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * One meter event as sent (its payload at most MAX_PAYLOAD_BYTES, checked at the edge): v1 events
 * carry Unix seconds, v2 events RFC 3339 timestamps.
 */
export interface MeterEventCommand<Timestamp extends number | string = number | string> {
  event_name: string;
  payload: Record<string, string>;
  identifier?: string;
  timestamp?: Timestamp;
}

/** POST /v2/billing/meter_event_stream. */
export interface MeterEventStreamCommand {
  events: MeterEventCommand<string>[];
}

/** POST /v1 and /v2 billing/meter_event_adjustments. */
export interface CancelMeterEventCommand {
  event_name: string;
  type: 'cancel';
  cancel: { identifier: string };
}

/** The event a command describes: a generated identifier if none (or '') was sent; without a timestamp it happens `now`. */
function rawEventOf(command: MeterEventCommand, now: number): RawMeterEvent {
  const { event_name: eventName, payload, timestamp } = command;
  const identifier = command.identifier || randomUUID();
  return { identifier, event_name: eventName, timestamp: timestamp ?? now, payload, ...(timestamp === undefined ? { untimed: true as const } : {}) };
}

/**
 * The ingest use cases: accept meter events over HTTP and put them on the meter-events queue.
 * v1 and v2 single events are validated synchronously (a 400 names the parameter); stream
 * events are checked for shape only and validated by the consumer.
 */
export function makeRecordMeterEvents(deps: IngestDeps) {
  /**
   * Validates one event now; returns it with its timestamp in Unix seconds (an event without one
   * happens "now": for a customer on a test clock, at the clock's frozen time).
   */
  async function validateNow(event: RawMeterEvent, now: number): Promise<RawMeterEvent & { timestamp: number }> {
    const nowMs = deps.nowMs();
    const meter = await deps.directory.meterFor(event.event_name, nowMs);
    const customerKey = meter?.customer_mapping.event_payload_key;
    const customerId = customerKey ? event.payload[customerKey] : undefined;
    const customers = customerId ? await deps.directory.existingCustomers([customerId], nowMs) : new Map<string, string | null>();
    const clockTimes = await deps.directory.clockTimes(customers);
    const result = validateMeterEvent(event, { meter, customerExists: (id) => customers.has(id), now, clockNow: (id) => clockTimes.get(id) });
    if (!result.ok) throw new InvalidRequestError(result.error.message, result.error.param, result.error.code);
    return { identifier: event.identifier, event_name: event.event_name, payload: event.payload, timestamp: result.event.timestamp };
  }

  async function enqueue(message: MeterQueueMessage) {
    if (!deps.publisher) throw new Error('No meter-events queue is configured for this function.');
    // The receipt time in milliseconds: usage alerts count usage received from their creation on.
    await deps.publisher.publish(toMessageBodies(message.type === 'meter_events' ? { ...message, received_ms: deps.nowMs() } : message));
  }

  return {
    /** POST /v1/billing/meter_events */
    async createV1(command: MeterEventCommand<number>, principal: Principal, now: number) {
      const event = await validateNow(rawEventOf(command, now), now);
      await enqueue({ type: 'meter_events', received: now, livemode: principal.livemode, events: [event], accepted: true });
      return {
        object: 'billing.meter_event',
        created: now,
        event_name: event.event_name,
        identifier: event.identifier,
        livemode: principal.livemode,
        payload: event.payload,
        timestamp: event.timestamp,
      };
    },

    /** POST /v2/billing/meter_events */
    async createV2(command: MeterEventCommand<string>, principal: Principal, now: number) {
      const event = await validateNow(rawEventOf(command, now), now);
      await enqueue({ type: 'meter_events', received: now, livemode: principal.livemode, events: [event], accepted: true });
      return {
        object: 'v2.billing.meter_event',
        created: iso(now),
        event_name: event.event_name,
        identifier: event.identifier,
        livemode: principal.livemode,
        payload: event.payload,
        timestamp: iso(event.timestamp),
      };
    },

    /** POST /v2/billing/meter_event_stream: up to 100 events, validated asynchronously. */
    async stream({ events: list }: MeterEventStreamCommand, principal: Principal, now: number) {
      const events = list.map((item) => {
        const event = rawEventOf(item, now);
        // An unparseable time is reported asynchronously, like every other validation failure.
        return { ...event, timestamp: parseTimestamp(event.timestamp) ?? event.timestamp };
      });
      await enqueue({ type: 'meter_events', received: now, livemode: principal.livemode, events });
      return {};
    },

    /** POST /v1 and /v2 billing/meter_event_adjustments: cancel one event by identifier. */
    async cancel(command: CancelMeterEventCommand, principal: Principal, now: number, version: 'v1' | 'v2') {
      const { event_name: eventName, cancel: { identifier } } = command;
      const meter = await deps.directory.meterFor(eventName, deps.nowMs());
      if (!meter) throw new InvalidRequestError(`No meter was found for event_name '${eventName}'.`, 'event_name', 'no_meter');
      const claim = await deps.usage.getClaim(identifier);
      if (claim && claim.eventName !== eventName) {
        throw new InvalidRequestError(`The event '${identifier}' was not sent with event_name '${eventName}'.`, 'cancel[identifier]');
      }
      if (claim && now - claim.received > 24 * HOUR) {
        throw new InvalidRequestError('Events can only be cancelled within 24 hours of being received.', 'cancel[identifier]');
      }
      await enqueue({ type: 'cancel', received: now, livemode: principal.livemode, event_name: eventName, identifier });
      const common = { event_name: eventName, livemode: principal.livemode, status: 'pending', type: 'cancel', cancel: { identifier } };
      return version === 'v1'
        ? { object: 'billing.meter_event_adjustment', ...common }
        : { id: `mea_${randomUUID().replaceAll('-', '')}`, object: 'v2.billing.meter_event_adjustment', created: iso(now), ...common };
    },
  };
}

export type RecordMeterEvents = ReturnType<typeof makeRecordMeterEvents>;
