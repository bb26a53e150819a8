import type { Directory } from './directory';
import type { Meter } from '../meters/meters';
import { parseQueueMessage, validateMeterEvent, type MeterEventError, type MeterQueueMessage, type RawMeterEvent, type ValidMeterEvent } from './meter-event';

/* The consumer's first step: a batch's messages read and its events validated asynchronously. */

/** A message as the event source delivers it. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
}

/** A record and the message it carries. */
export interface ReceivedMessage {
  record: QueueRecord;
  message: MeterQueueMessage;
}

/** A valid event and the message that carried it. */
export interface Pending {
  event: ValidMeterEvent;
  messageId: string;
  /** When the API received the event (milliseconds). */
  receivedMs: number;
}

/** An event that failed validation, for the error reports. */
export interface InvalidEvent {
  event: RawMeterEvent;
  error: MeterEventError;
  meterId?: string;
}

/** The messages of `records`, and the ids of the records that are no message at all (poison: they fail alone). */
export function parseRecords(records: readonly QueueRecord[]): { messages: ReceivedMessage[]; poison: string[] } {
  const messages: ReceivedMessage[] = [];
  const poison: string[] = [];
  for (const record of records) {
    const message = parseQueueMessage(record.body);
    if (message) messages.push({ record, message });
    else poison.push(record.messageId);
  }
  return { messages, poison };
}

/**
 * Validates the meter events of a batch against the meters, customers and test clocks of the
 * directory, each at the time the API received it. The first valid occurrence of an identifier in
 * the batch is the candidate; later ones are duplicates.
 */
export async function validateBatch(directory: Directory, messages: readonly ReceivedMessage[], nowMs: number) {
  const rawEvents = messages.flatMap(({ record, message }) =>
    message.type === 'meter_events'
      ? message.events.map((event) => ({
          event,
          messageId: record.messageId,
          received: message.received,
          receivedMs: message.received_ms ?? message.received * 1000,
          accepted: message.accepted,
        }))
      : [],
  );
  const customers = await directory.existingCustomers(
    rawEvents.flatMap(({ event }) => Object.values(event.payload).filter((v) => v.startsWith('cus_'))),
    nowMs,
  );
  const clockTimes = await directory.clockTimes(customers);
  const candidates: Pending[] = [];
  const invalid: InvalidEvent[] = [];
  const seen = new Set<string>();
  let duplicatesInBatch = 0;
  const meters = new Map<string, Meter | undefined>();
  for (const name of new Set(rawEvents.map(({ event }) => event.event_name))) meters.set(name, await directory.meterFor(name, nowMs));
  for (const { event, messageId, received, receivedMs, accepted } of rawEvents) {
    const meter = meters.get(event.event_name);
    // Validated against the time the event was received, not the time it is consumed.
    const result = validateMeterEvent(event, {
      meter,
      customerExists: (id) => customers.has(id),
      now: received,
      clockNow: (id) => clockTimes.get(id),
      accepted,
    });
    if (!result.ok) invalid.push({ event, error: result.error, meterId: meter?.id });
    else if (seen.has(event.identifier)) duplicatesInBatch++;
    else {
      seen.add(event.identifier);
      candidates.push({ event: result.event, messageId, receivedMs });
    }
  }
  return { candidates, invalid, received: rawEvents.length, duplicatesInBatch };
}
