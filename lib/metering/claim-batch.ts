import { sleep } from '../domain/retry';
import type { TimeLeft } from '../domain/time-left';
import type { ChunkPlan } from './chunk-plan';
import type { Claim, UsageStore } from './usage-store';
import type { Pending } from './validate-batch';

/*
 * The consumer's second step: each candidate's identifier claimed for the chunk that will apply
 * it, and the claims other attempts hold sorted into duplicates, claims still in flight and
 * claims of dead attempts, which are adopted.
 */

/** A candidate whose identifier another attempt has claimed. */
export interface Conflict {
  pending: Pending;
  existing: Claim;
}

/** How long claims belong to the attempt that made them. */
export interface ClaimOwnership {
  /** Twice the consumer timeout: a younger claim may still be applied by a live invocation. */
  inFlightMs: number;
  /** Claims made before this time (ms) have no live owner, however young (see ConsumerDeps). */
  ownersGoneBeforeMs?: number;
}

/**
 * Claims the candidates' identifiers for their planned chunks. A claim whose outcome is unknown
 * may exist: its chunk is broken (it must not get a marker, or the event would count as applied
 * without being so) and its message fails; its claims are adopted later.
 */
export async function claimCandidates(
  usage: UsageStore,
  plan: ChunkPlan,
  candidates: readonly Pending[],
  receivedAt: ReadonlyMap<string, number>,
  nowMs: number,
) {
  const outcomes = await usage.claimMany(
    candidates.map((p) => ({ event: p.event, chunk: plan.chunkOf(p.event), received: receivedAt.get(p.messageId)!, receivedMs: p.receivedMs })),
    nowMs,
  );
  const claimed: Pending[] = [];
  const conflicts: Conflict[] = [];
  const brokenChunks = new Set<string>();
  const failed: string[] = [];
  for (const pending of candidates) {
    const chunk = plan.chunkOf(pending.event);
    const outcome = outcomes.get(pending.event.identifier)!;
    if (outcome instanceof Error) {
      brokenChunks.add(chunk);
      failed.push(pending.messageId);
    } else if (outcome.claimed || outcome.existing.chunk === chunk) {
      claimed.push(pending); // A retried insert may find its own first write: still our claim.
    } else conflicts.push({ pending, existing: outcome.existing });
  }
  return { claimed, conflicts, brokenChunks, failed };
}

/**
 * Sorts the conflicts: applied or cancelled claims are duplicates; claims young enough to have a
 * live owner are in flight; the claims of dead attempts are adopted into this attempt's plan
 * (or, when someone else moved them meanwhile, their messages fail to look again later).
 */
export async function settleConflicts(usage: UsageStore, plan: ChunkPlan, conflicts: readonly Conflict[], nowMs: number, ownership: ClaimOwnership) {
  const applied = await usage.appliedChunks(conflicts.map((c) => c.existing.chunk));
  const adopted: Pending[] = [];
  const inFlight: Conflict[] = [];
  const failed: string[] = [];
  let duplicates = 0;
  for (const conflict of conflicts) {
    const { existing, pending } = conflict;
    if (existing.cancelled !== undefined || applied.has(existing.chunk)) duplicates++;
    else if (nowMs - existing.claimedMs <= ownership.inFlightMs && !(existing.claimedMs < (ownership.ownersGoneBeforeMs ?? 0))) inFlight.push(conflict);
    else if (await usage.adoptClaim(existing, plan.chunkOf(existing), nowMs)) {
      adopted.push({ event: existing, messageId: pending.messageId, receivedMs: existing.receivedMs });
    } else failed.push(pending.messageId);
  }
  return { adopted, inFlight, failed, duplicates };
}

/** Waits for the markers of in-flight claims while more than `keepMs` of the invocation's time is left; returns the rest. */
export async function waitForMarkers<T extends { existing: Claim }>(usage: UsageStore, conflicts: T[], timeLeft: TimeLeft, keepMs: number): Promise<T[]> {
  let waiting = conflicts;
  for (let round = 1; waiting.length && timeLeft() > keepMs; round++) {
    await sleep(Math.min(50 * round, Math.max(0, timeLeft() - keepMs)));
    const done = await usage.appliedChunks(waiting.map((c) => c.existing.chunk));
    waiting = waiting.filter((c) => !done.has(c.existing.chunk));
  }
  return waiting;
}
