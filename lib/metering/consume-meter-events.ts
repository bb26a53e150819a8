import { randomUUID } from 'node:crypto';
import { groupBy } from '../domain/collections';
import { timeBudget, type TimeLeft } from '../domain/time-left';
import type { Directory } from './directory';
import type { ErrorReporter } from './error-reports';
import { makeCancelMeterEvent } from './cancel-meter-event';
import type { UsageStore } from './usage-store';
import { ChunkPlan, inBucketOrder } from './chunk-plan';
import { NO_CONTRIBUTIONS, type UsageContributor } from './usage-contributor';
import { parseRecords, validateBatch, type QueueRecord } from './validate-batch';
import { claimCandidates, settleConflicts, waitForMarkers } from './claim-batch';
import { applyChunks } from './apply-chunks';
import { limitCombinations } from './combination-limit';

export type { QueueRecord } from './validate-batch';

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

/** Claims younger than this may still be applied by a live invocation: Lambda stops one at its timeout, so twice that. */
export const inFlightMsFor = (consumerTimeoutMs: number) => 2 * consumerTimeoutMs;

/**
 * The time a consumer invocation gets where nothing stops it at the function timeout (the local
 * poller, direct calls): until its claims could be adopted elsewhere, less a tenth. More than
 * Lambda gives, and safe for the same reason; locally, invocations share one machine and DynamoDB
 * Local is much slower than DynamoDB (a batch of 20 messages took 35 to 75 s to claim there).
 */
export const unstoppedInvocationMs = (inFlightMs: number) => 0.9 * inFlightMs;

/**
 * Consumes a batch of meter-event messages with an exactly-once effect per identifier:
 *
 * 1. validate (asynchronous validation of stream events, and the bound on combinations of
 *    dimension values; failures go to error reports), see validate-batch.ts and
 *    combination-limit.ts;
 * 2. claim each identifier with a conditional insert that names the chunk which will apply it
 *    (chunk-plan.ts, claim-batch.ts);
 * 3. pre-aggregate the claimed events per hourly usage item and apply each chunk of up to 99
 *    items together with the chunk's marker in one transaction (apply-chunks.ts).
 *
 * A claim whose chunk marker exists is counted; a claim whose marker is missing after the
 * consumer timeout belongs to a dead attempt and is adopted (re-pointed to a new chunk) by the
 * next message that carries the identifier. Duplicates are acknowledged and not counted.
 */
export function makeConsumeMeterEvents(deps: ConsumerDeps) {
  const cancelEvent = makeCancelMeterEvent(deps);

  /** `timeLeft` is the invocation's (Lambda's context, the local poller's); by default unstoppedInvocationMs from the call. */
  return async function consume(records: readonly QueueRecord[], nowMs: number, timeLeft: TimeLeft = timeBudget(unstoppedInvocationMs(deps.inFlightMs))): Promise<ConsumeResult> {
    // A poison message fails alone; the redrive policy moves it to the DLQ.
    const { messages, poison } = parseRecords(records);
    const failed = new Set<string>(poison);
    const counts = { received: 0, applied: 0, duplicates: 0, invalid: 0, cancelled: 0 };

    // 1. Validate; the first occurrence of an identifier in the batch is the candidate.
    const validated = await validateBatch(deps.directory, messages, nowMs);
    // Events past the bound on combinations of dimension values are refused like invalid ones.
    const { accepted: candidates, refused, listed } = await limitCombinations(deps.usage, validated.candidates);
    const invalid = [...validated.invalid, ...refused];
    Object.assign(counts, { received: validated.received, invalid: invalid.length, duplicates: validated.duplicatesInBatch });

    // 2. Claim, in chunks planned with room for the usage alerts of the batch's meters.
    const alerts = deps.alerts ? await deps.alerts.snapshot(candidates.map((p) => p.event.meterId)) : NO_CONTRIBUTIONS;
    const plan = new ChunkPlan(randomUUID(), alerts);
    // Planned in bucket order: a customer's hourly items (and its alert progress items) share chunks.
    for (const p of inBucketOrder(candidates)) plan.chunkOf(p.event);
    // Claims (stamped with nowMs, the invocation's start) may be adopted by another invocation
    // once inFlightMs, twice the timeout, has passed: a chunk starts applying only while the
    // invocation has time left (Lambda stops it at the timeout; the local poller gives it less
    // than inFlightMs), and a tenth of the timeout stays for the steps after.
    const reserveMs = deps.inFlightMs / 20;
    const outOfTime = () => timeLeft() < reserveMs;
    const receivedAt = new Map(messages.map(({ record, message }) => [record.messageId, message.received]));
    const { claimed, conflicts, brokenChunks, failed: unknownClaims } = await claimCandidates(deps.usage, plan, candidates, receivedAt, nowMs);
    for (const id of unknownClaims) failed.add(id);
    await deps.afterClaims?.();

    // Conflicts: applied or cancelled claims are duplicates; dead attempts' claims are adopted.
    const settled = await settleConflicts(deps.usage, plan, conflicts, nowMs, deps);
    counts.duplicates += settled.duplicates;
    claimed.push(...settled.adopted);
    for (const id of settled.failed) failed.add(id);

    // 3. Apply, except the chunks of claims whose outcome is unknown.
    const byChunk = groupBy(claimed, (p) => plan.chunkOf(p.event));
    for (const chunk of brokenChunks) {
      for (const pending of byChunk.get(chunk) ?? []) failed.add(pending.messageId);
      byChunk.delete(chunk);
    }
    const outcome = await applyChunks(deps, byChunk, alerts, nowMs, outOfTime, listed);
    counts.applied += outcome.applied;
    for (const id of outcome.failed) failed.add(id);

    // Duplicates of claims that another invocation may still be applying: waited for up to a quarter of inFlightMs, within the time left.
    const unsettled = await waitForMarkers(deps.usage, settled.inFlight, timeLeft, Math.max(reserveMs, timeLeft() - deps.inFlightMs / 4));
    counts.duplicates += settled.inFlight.length - unsettled.length;
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
}
