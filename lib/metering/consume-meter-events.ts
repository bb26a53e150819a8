import { randomUUID } from 'node:crypto';
import { HOUR, MINUTE } from '../domain/time';
import { forEachLimited } from '../domain/concurrency';
import { Quantity } from '../domain/quantity';
import type { Directory } from './directory';
import { parseQueueMessage, validateMeterEvent, type MeterEventError, type MeterQueueMessage, type RawMeterEvent, type ValidMeterEvent } from './meter-event';
import { TransactionConflict, type Claim, type HourDelta, type UsageStore } from './usage-store';
import type { ErrorReporter } from './error-reports';

/** A message as the event source delivers it. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
}

export interface ConsumeResult {
  /** Messages to leave on the queue (they come back after the visibility timeout). */
  failedMessageIds: string[];
  /**
   * Failed messages worth retrying sooner than the visibility timeout: their identifiers are
   * claimed by an invocation that may still be running, and will be adoptable after this delay.
   */
  retrySoon: { messageIds: string[]; afterSeconds: number };
  counts: { received: number; applied: number; duplicates: number; invalid: number; cancelled: number };
}

export interface ConsumerDeps {
  usage: UsageStore;
  directory: Directory;
  errors: ErrorReporter;
  /** Consumer timeout: a claim younger than this may still be applied by a live attempt. */
  inFlightMs: number;
  /** Test hook: called between claiming and applying (the crash window). */
  afterClaims?: () => Promise<void>;
}

/** DynamoDB transactions hold 100 items: one marker and up to 99 hourly usage items. */
const BUCKETS_PER_CHUNK = 99;
const CONFLICT_RETRIES = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Pending {
  event: ValidMeterEvent;
  messageId: string;
}

const bucketOf = (e: Pick<ValidMeterEvent, 'meterId' | 'customerId' | 'timestamp'>) =>
  `${e.meterId}|${e.customerId}|${e.timestamp - (e.timestamp % HOUR)}`;


/**
 * Consumes a batch of meter-event messages with an exactly-once effect per identifier:
 *
 * 1. validate (asynchronous validation of stream events; failures go to error reports);
 * 2. claim each identifier with a conditional put that names the chunk which will apply it;
 * 3. pre-aggregate the claimed events per hourly usage item and apply each chunk of up to 99
 *    items together with the chunk's marker in one transaction.
 *
 * A claim whose chunk marker exists is counted; a claim whose marker is missing after the
 * consumer timeout belongs to a dead attempt and is adopted (re-pointed to a new chunk) by the
 * next message that carries the identifier. Duplicates are acknowledged and not counted.
 */
export function makeConsumeMeterEvents(deps: ConsumerDeps) {
  return async function consume(records: readonly QueueRecord[], nowMs: number): Promise<ConsumeResult> {
    const attempt = randomUUID();
    const failed = new Set<string>();
    const counts = { received: 0, applied: 0, duplicates: 0, invalid: 0, cancelled: 0 };
    const messages: { record: QueueRecord; message: MeterQueueMessage }[] = [];
    for (const record of records) {
      const message = parseQueueMessage(record.body);
      // A poison message fails alone; the redrive policy moves it to the DLQ.
      if (message) messages.push({ record, message });
      else failed.add(record.messageId);
    }

    // 1. Validate.
    const candidates: Pending[] = [];
    const seen = new Set<string>();
    const rawEvents = messages.flatMap(({ record, message }) =>
      message.type === 'meter_events'
        ? message.events.map((event) => ({ event, record, received: message.received }))
        : [],
    );
    counts.received = rawEvents.length;
    const invalid: { event: RawMeterEvent; error: MeterEventError; meterId?: string }[] = [];
    const customers = await deps.directory.existingCustomers(
      rawEvents.flatMap(({ event }) => Object.values(event.payload ?? {}).filter((v) => v.startsWith('cus_'))),
      nowMs,
    );
    for (const { event, record, received } of rawEvents) {
      const meter = await deps.directory.meterFor(event.event_name, nowMs);
      const result = validateMeterEvent(event, { meter, customerExists: (id) => customers.has(id), now: received });
      if (!result.ok) {
        invalid.push({ event, error: result.error, meterId: meter?.id });
        continue;
      }
      if (seen.has(event.identifier)) {
        counts.duplicates++;
        continue;
      }
      seen.add(event.identifier);
      candidates.push({ event: result.event, messageId: record.messageId });
    }
    counts.invalid = invalid.length;

    // Plan chunks: whole hourly items per chunk; `last` meters get one idempotent chunk.
    const chunkOfBucket = new Map<string, string>();
    let sumChunks = 0;
    let bucketsInChunk = BUCKETS_PER_CHUNK;
    const chunkFor = (event: ValidMeterEvent): string => {
      if (event.formula === 'last') return `${attempt}.last`;
      const bucket = bucketOf(event);
      let chunk = chunkOfBucket.get(bucket);
      if (!chunk) {
        if (bucketsInChunk === BUCKETS_PER_CHUNK) {
          sumChunks++;
          bucketsInChunk = 0;
        }
        bucketsInChunk++;
        chunk = `${attempt}.${sumChunks}`;
        chunkOfBucket.set(bucket, chunk);
      }
      return chunk;
    };

    // 2. Claim.
    const claimed: Pending[] = [];
    const conflicts: { pending: Pending; existing: Claim }[] = [];
    const receivedAt = new Map(messages.map(({ record, message }) => [record.messageId, message.received]));
    // A claim whose outcome is unknown (the put failed after its retries) may exist: its chunk
    // must not get a marker, or the event would count as applied without being so.
    const brokenChunks = new Set<string>();
    const outcomes = await deps.usage.claimMany(
      candidates.map((p) => ({ event: p.event, chunk: chunkFor(p.event), received: receivedAt.get(p.messageId)! })),
      nowMs,
    );
    for (const pending of candidates) {
      const chunk = chunkFor(pending.event);
      const outcome = outcomes.get(pending.event.identifier)!;
      if (outcome instanceof Error) {
        brokenChunks.add(chunk);
        failed.add(pending.messageId);
      } else if (outcome.claimed || outcome.existing.chunk === chunk) {
        claimed.push(pending); // A retried insert may find its own first write: still our claim.
      } else conflicts.push({ pending, existing: outcome.existing });
    }
    await deps.afterClaims?.();

    // Conflicts: applied or cancelled claims are duplicates; dead attempts' claims are adopted.
    const applied = await deps.usage.appliedChunks(conflicts.map((c) => c.existing.chunk));
    const unresolved: typeof conflicts = [];
    for (const conflict of conflicts) {
      const { existing } = conflict;
      if (existing.cancelled !== undefined || applied.has(existing.chunk)) counts.duplicates++;
      else if (nowMs - existing.claimedMs > deps.inFlightMs) {
        const event: ValidMeterEvent = existing;
        if (await deps.usage.adoptClaim(existing, chunkFor(event), nowMs)) claimed.push({ event, messageId: conflict.pending.messageId });
        else failed.add(conflict.pending.messageId); // Someone else moved it: look again later.
      } else unresolved.push(conflict);
    }

    // 3. Apply.
    const byChunk = new Map<string, Pending[]>();
    for (const pending of claimed) {
      const chunk = chunkFor(pending.event);
      if (brokenChunks.has(chunk)) {
        failed.add(pending.messageId);
        continue;
      }
      byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), pending]);
    }
    const nowSeconds = Math.floor(nowMs / 1000);
    await Promise.all(
      [...byChunk].map(async ([chunk, members]) => {
        try {
          if (chunk.endsWith('.last')) await applyLastChunk(chunk, members, nowSeconds);
          else await applySumChunk(chunk, members, nowSeconds);
          counts.applied += members.length;
        } catch {
          for (const m of members) failed.add(m.messageId);
        }
      }),
    );

    // Claims of attempts still in flight: wait for their markers briefly, else retry later.
    // The wait stays within half the consumer timeout (inFlightMs is twice the timeout).
    let waiting = unresolved;
    const waitUntil = Date.now() + deps.inFlightMs / 4;
    for (let round = 1; waiting.length && Date.now() < waitUntil; round++) {
      await sleep(Math.min(50 * round, Math.max(0, waitUntil - Date.now())));
      const done = await deps.usage.appliedChunks(waiting.map((c) => c.existing.chunk));
      counts.duplicates += waiting.filter((c) => done.has(c.existing.chunk)).length;
      waiting = waiting.filter((c) => !done.has(c.existing.chunk));
    }
    const retrySoon = new Set<string>();
    for (const conflict of waiting) {
      failed.add(conflict.pending.messageId);
      retrySoon.add(conflict.pending.messageId);
    }

    // Cancellations.
    for (const { record, message } of messages) {
      if (message.type !== 'cancel') continue;
      try {
        const outcome = await cancelEvent(message, nowMs);
        if (outcome === 'retry') failed.add(record.messageId);
        else if (outcome === 'cancelled') counts.cancelled++;
      } catch {
        failed.add(record.messageId);
      }
    }

    if (invalid.length) await deps.errors.report(invalid, nowMs);
    return {
      failedMessageIds: [...failed],
      retrySoon: { messageIds: [...retrySoon], afterSeconds: Math.ceil(deps.inFlightMs / 1000) },
      counts,
    };
  };

  async function applySumChunk(chunk: string, members: Pending[], nowSeconds: number) {
    const deltas = new Map<string, { delta: HourDelta; total: Quantity; minutes: Map<number, Quantity> }>();
    for (const { event } of members) {
      const bucket = bucketOf(event);
      let entry = deltas.get(bucket);
      if (!entry) {
        const hourStart = event.timestamp - (event.timestamp % HOUR);
        entry = {
          delta: { meterId: event.meterId, customerId: event.customerId, hourStart, total: '0', minutes: new Map() },
          total: new Quantity(0),
          minutes: new Map(),
        };
        deltas.set(bucket, entry);
      }
      const minute = Math.floor((event.timestamp % HOUR) / MINUTE);
      entry.total = entry.total.plus(event.value);
      entry.minutes.set(minute, (entry.minutes.get(minute) ?? new Quantity(0)).plus(event.value));
    }
    const list = [...deltas.values()].map(({ delta, total, minutes }) => ({
      ...delta,
      total: total.toFixed(),
      minutes: new Map([...minutes].map(([m, q]) => [m, q.toFixed()])),
    }));
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.usage.applyChunk(chunk, list, nowSeconds);
        return;
      } catch (error) {
        // Another consumer touched one of the items at the same moment: the whole chunk retries.
        if (!(error instanceof TransactionConflict) || attempt >= CONFLICT_RETRIES) throw error;
        await sleep(20 * 2 ** attempt * Math.random());
      }
    }
  }

  async function applyLastChunk(chunk: string, members: Pending[], nowSeconds: number) {
    // Keep only the latest event per minute: the others cannot win the minute anyway.
    const latest = new Map<string, ValidMeterEvent>();
    for (const { event } of members) {
      const key = `${event.meterId}|${event.customerId}|${Math.floor(event.timestamp / MINUTE)}`;
      const held = latest.get(key);
      if (!held || held.timestamp < event.timestamp || (held.timestamp === event.timestamp && held.identifier < event.identifier)) {
        latest.set(key, event);
      }
    }
    await forEachLimited([...latest.values()], 16, (e) =>
      deps.usage.applyLast({ meterId: e.meterId, customerId: e.customerId, timestamp: e.timestamp, identifier: e.identifier, value: e.value }),
    );
    await deps.usage.markApplied(chunk, nowSeconds);
  }

  /** Applies a cancel adjustment: 'retry' when the event is not settled yet. */
  async function cancelEvent(message: Extract<MeterQueueMessage, { type: 'cancel' }>, nowMs: number) {
    const claim = await deps.usage.getClaim(message.identifier);
    const nowSeconds = Math.floor(nowMs / 1000);
    if (!claim) {
      // The event may still be on its way; after ten minutes, report it as not found.
      if (nowSeconds - message.received < 10 * MINUTE) return 'retry';
      await deps.errors.reportAdjustment(message, 'meter_event_adjustment_event_not_found', nowMs);
      return 'rejected';
    }
    if (claim.cancelled !== undefined) return 'duplicate';
    if (claim.eventName !== message.event_name) {
      await deps.errors.reportAdjustment(message, 'meter_event_adjustment_event_name_mismatch', nowMs);
      return 'rejected';
    }
    if (message.received - claim.received > 24 * HOUR) {
      await deps.errors.reportAdjustment(message, 'meter_event_adjustment_too_late', nowMs);
      return 'rejected';
    }
    const isApplied = (await deps.usage.appliedChunks([claim.chunk])).has(claim.chunk);
    if (!isApplied && nowMs - claim.claimedMs <= deps.inFlightMs) return 'retry';
    const done =
      isApplied && claim.formula !== 'last'
        ? await deps.usage.cancelApplied(claim, nowSeconds)
        : await deps.usage.cancelUnapplied(claim, nowSeconds);
    return done ? 'cancelled' : 'retry';
  }
}
