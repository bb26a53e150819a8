import { randomUUID } from 'node:crypto';
import { MINUTE } from '../domain/time';
import { forEachLimited } from '../domain/concurrency';
import { groupBy } from '../domain/collections';
import type { Directory } from './directory';
import type { Meter } from '../meters/meters';
import type { ErrorReporter } from './error-reports';
import { makeCancelMeterEvent } from './cancel-meter-event';
import { parseQueueMessage, validateMeterEvent, type MeterEventError, type MeterQueueMessage, type RawMeterEvent, type ValidMeterEvent } from './meter-event';
import { TransactionConflict, type Claim, type UsageStore } from './usage-store';
import { ChunkPlan, hourDeltas, inBucketOrder, lanesOf } from './chunk-plan';
import { NO_CONTRIBUTIONS, type ContributionPlan, type UsageContributor } from './usage-contributor';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';

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
  /** Twice the consumer timeout: a younger claim may still be applied by a live invocation. */
  inFlightMs: number;
  /**
   * Claims made before this time (ms) have no live owner, however young: the local stack's one
   * process made every claim a live invocation holds, so after a restart the earlier ones are
   * adopted at once. Undefined on AWS, where other containers may be running.
   */
  ownersGoneBeforeMs?: number;
  /** Test hook: called between claiming and applying (the crash window). */
  afterClaims?: () => Promise<void>;
  /** What else writes in the chunks' transactions (usage alert evaluation); without it, nothing is read for it. */
  alerts?: UsageContributor;
}

const CONFLICT_RETRIES = 8;

/** A valid event and the message that carried it. */
interface Pending {
  event: ValidMeterEvent;
  messageId: string;
  /** When the API received the event (milliseconds). */
  receivedMs: number;
}

/**
 * Consumes a batch of meter-event messages with an exactly-once effect per identifier:
 *
 * 1. validate (asynchronous validation of stream events; failures go to error reports);
 * 2. claim each identifier with a conditional insert that names the chunk which will apply it;
 * 3. pre-aggregate the claimed events per hourly usage item and apply each chunk of up to 99
 *    items together with the chunk's marker in one transaction.
 *
 * A claim whose chunk marker exists is counted; a claim whose marker is missing after the
 * consumer timeout belongs to a dead attempt and is adopted (re-pointed to a new chunk) by the
 * next message that carries the identifier. Duplicates are acknowledged and not counted.
 */
export function makeConsumeMeterEvents(deps: ConsumerDeps) {
  const cancelEvent = makeCancelMeterEvent(deps);

  return async function consume(records: readonly QueueRecord[], nowMs: number): Promise<ConsumeResult> {
    const started = Date.now();
    const failed = new Set<string>();
    const counts = { received: 0, applied: 0, duplicates: 0, invalid: 0, cancelled: 0 };
    const messages: { record: QueueRecord; message: MeterQueueMessage }[] = [];
    for (const record of records) {
      const message = parseQueueMessage(record.body);
      // A poison message fails alone; the redrive policy moves it to the DLQ.
      if (message) messages.push({ record, message });
      else failed.add(record.messageId);
    }

    // 1. Validate; the first occurrence of an identifier in the batch is the candidate.
    const { candidates, invalid, received, duplicatesInBatch } = await validateBatch(messages, nowMs);
    Object.assign(counts, { received, invalid: invalid.length, duplicates: duplicatesInBatch });

    // 2. Claim, in chunks planned with room for the usage alerts of the batch's meters.
    const alerts = deps.alerts ? await deps.alerts.snapshot(candidates.map((p) => p.event.meterId)) : NO_CONTRIBUTIONS;
    const plan = new ChunkPlan(randomUUID(), alerts);
    // Planned in bucket order: a customer's hourly items (and its alert progress items) share chunks.
    for (const p of inBucketOrder(candidates)) plan.chunkOf(p.event);
    // Claims (stamped with nowMs, i.e. `started`) may be adopted by another invocation once
    // inFlightMs has passed (Lambda would have stopped this one by then; a local poller does
    // not): never start applying after that.
    const applyDeadline = started + deps.inFlightMs * 0.9;
    const receivedAt = new Map(messages.map(({ record, message }) => [record.messageId, message.received]));
    const outcomes = await deps.usage.claimMany(
      candidates.map((p) => ({ event: p.event, chunk: plan.chunkOf(p.event), received: receivedAt.get(p.messageId)!, receivedMs: p.receivedMs })),
      nowMs,
    );
    const claimed: Pending[] = [];
    const conflicts: { pending: Pending; existing: Claim }[] = [];
    // A claim whose outcome is unknown may exist: its chunk must not get a marker, or the
    // event would count as applied without being so. Its claims are adopted later.
    const brokenChunks = new Set<string>();
    for (const pending of candidates) {
      const chunk = plan.chunkOf(pending.event);
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
    const inFlight: typeof conflicts = [];
    for (const conflict of conflicts) {
      const { existing, pending } = conflict;
      if (existing.cancelled !== undefined || applied.has(existing.chunk)) counts.duplicates++;
      else if (nowMs - existing.claimedMs <= deps.inFlightMs && !(existing.claimedMs < (deps.ownersGoneBeforeMs ?? 0))) inFlight.push(conflict);
      else if (await deps.usage.adoptClaim(existing, plan.chunkOf(existing), nowMs)) {
        claimed.push({ event: existing, messageId: pending.messageId, receivedMs: existing.receivedMs });
      } else failed.add(pending.messageId); // Someone else moved it meanwhile: look again later.
    }

    // 3. Apply.
    const byChunk = groupBy(claimed, (p) => plan.chunkOf(p.event));
    for (const chunk of brokenChunks) {
      for (const pending of byChunk.get(chunk) ?? []) failed.add(pending.messageId);
      byChunk.delete(chunk);
    }
    const nowSeconds = Math.floor(nowMs / 1000);
    // Chunks that share usage alert progress items would only fail each other's conditions:
    // they apply one after the other, in lanes; lanes (and chunks without alerts) in parallel.
    await Promise.all(
      lanesOf(byChunk, alerts).map(async (lane) => {
        for (const [chunk, members] of lane) {
          try {
            if (chunk.endsWith('.last')) await applyLastChunk(chunk, members, nowSeconds, alerts, nowMs);
            else await applySumChunk(chunk, members, nowSeconds, alerts, nowMs, applyDeadline);
            counts.applied += members.length;
          } catch {
            for (const m of members) failed.add(m.messageId);
          }
        }
      }),
    );

    // Duplicates of claims that another invocation may still be applying.
    const unsettled = await waitForMarkers(inFlight);
    counts.duplicates += inFlight.length - unsettled.length;
    const retrySoon = new Set(unsettled.map((c) => c.pending.messageId));
    for (const id of retrySoon) failed.add(id);

    // Cancellations.
    for (const { record, message } of messages) {
      if (message.type !== 'cancel') continue;
      const outcome = await cancelEvent(message, nowMs).catch(() => 'retry' as const);
      if (outcome === 'retry') failed.add(record.messageId);
      else if (outcome === 'cancelled') counts.cancelled++;
    }

    if (invalid.length) await deps.errors.report(invalid, nowMs);
    return {
      failedMessageIds: [...failed],
      retrySoon: { messageIds: [...retrySoon], afterSeconds: Math.ceil(deps.inFlightMs / 1000) },
      counts,
    };
  };

  async function validateBatch(messages: { record: QueueRecord; message: MeterQueueMessage }[], nowMs: number) {
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
    const customers = await deps.directory.existingCustomers(
      rawEvents.flatMap(({ event }) => Object.values(event.payload).filter((v) => v.startsWith('cus_'))),
      nowMs,
    );
    const clockTimes = await deps.directory.clockTimes(customers);
    const candidates: Pending[] = [];
    const invalid: { event: RawMeterEvent; error: MeterEventError; meterId?: string }[] = [];
    const seen = new Set<string>();
    let duplicatesInBatch = 0;
    const meters = new Map<string, Meter | undefined>();
    for (const name of new Set(rawEvents.map(({ event }) => event.event_name))) meters.set(name, await deps.directory.meterFor(name, nowMs));
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

  /** Waits (within half the consumer timeout) for the markers of in-flight claims; returns the rest. */
  async function waitForMarkers<T extends { existing: Claim }>(conflicts: T[]): Promise<T[]> {
    let waiting = conflicts;
    const until = Date.now() + deps.inFlightMs / 4;
    for (let round = 1; waiting.length && Date.now() < until; round++) {
      await sleep(Math.min(50 * round, Math.max(0, until - Date.now())));
      const done = await deps.usage.appliedChunks(waiting.map((c) => c.existing.chunk));
      waiting = waiting.filter((c) => !done.has(c.existing.chunk));
    }
    return waiting;
  }

  async function applySumChunk(chunk: string, members: Pending[], nowSeconds: number, alerts: ContributionPlan, nowMs: number, deadline: number) {
    const deltas = hourDeltas(members.map((m) => m.event));
    for (let attempt = 0; ; attempt++) {
      // Past the deadline the claims may be adopted (and applied) elsewhere: applying here too would count twice.
      if (Date.now() > deadline) throw new Error(`chunk ${chunk}: no time left to apply it safely`);
      try {
        // Alert progress is read (again, after a conflict) for every attempt: its writes are conditioned on what was read.
        const alertWrites = deps.alerts ? await deps.alerts.chunkWrites(alerts, members, nowMs, attempt > 0) : [];
        await deps.usage.applyChunk(chunk, deltas, nowSeconds, alertWrites);
        return;
      } catch (error) {
        // Another consumer touched one of the items at the same moment: the whole chunk retries.
        if (!(error instanceof TransactionConflict) || attempt >= CONFLICT_RETRIES) throw error;
        await sleep(backoffMs(BACKOFF.chunkConflict, attempt + 1));
      }
    }
  }

  async function applyLastChunk(chunk: string, members: Pending[], nowSeconds: number, alerts: ContributionPlan, nowMs: number) {
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
    // Before the marker: a replay of the chunk fires what a crash left unfired (firing is idempotent).
    await deps.alerts?.fireLast(alerts, members, nowMs);
    await deps.usage.markApplied(chunk, nowSeconds);
  }
}
