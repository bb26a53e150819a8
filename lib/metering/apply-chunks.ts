import { MINUTE } from '../domain/time';
import { forEachLimited } from '../domain/concurrency';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';
import { hourDeltas, lanesOf } from './chunk-plan';
import { CombinationsExceeded, hourRefKey, TransactionConflict, type LastValue, type UsageStore } from './usage-store';
import { relistCombinations, type ListedCombinations } from './combination-limit';
import { combinationKey } from '../domain/dimensions';
import type { ContributionPlan, UsageContributor } from './usage-contributor';
import type { Pending } from './validate-batch';

/* The consumer's third step: each chunk of claimed events applied in one transaction, retried on conflicts. */

const CONFLICT_RETRIES = 8;

export interface ApplyDeps {
  usage: UsageStore;
  /** What else writes in the chunks' transactions (usage alert evaluation). */
  alerts?: UsageContributor;
}

/**
 * Applies the chunks. Chunks that share usage alert progress items would only fail each other's
 * conditions: they apply one after the other, in lanes; lanes (and chunks without alerts) in
 * parallel. A chunk that cannot be applied fails its members' messages. No chunk starts
 * applying once `outOfTime()` (the invocation's time, see consume-meter-events.ts): its claims
 * may be adopted and applied elsewhere by then.
 */
export async function applyChunks(
  deps: ApplyDeps,
  byChunk: Map<string, Pending[]>,
  alerts: ContributionPlan,
  nowMs: number,
  outOfTime: () => boolean,
  listed: ListedCombinations = new Map(),
) {
  const nowSeconds = Math.floor(nowMs / 1000);
  let applied = 0;
  const failed: string[] = [];
  await Promise.all(
    lanesOf(byChunk, alerts).map(async (lane) => {
      for (const [chunk, members] of lane) {
        try {
          if (chunk.endsWith('.last')) await applyLastChunk(deps, chunk, members, nowSeconds, alerts, nowMs);
          else await applySumChunk(deps, chunk, members, nowSeconds, alerts, nowMs, outOfTime, listed);
          applied += members.length;
        } catch {
          for (const m of members) failed.push(m.messageId);
        }
      }
    }),
  );
  return { applied, failed };
}

async function applySumChunk(
  deps: ApplyDeps,
  chunk: string,
  members: Pending[],
  nowSeconds: number,
  alerts: ContributionPlan,
  nowMs: number,
  outOfTime: () => boolean,
  listed: ListedCombinations,
) {
  const deltas = hourDeltas(members.map((m) => m.event));
  for (const delta of deltas) if (delta.combinations) delta.listed = listed.get(hourRefKey(delta));
  for (let attempt = 0; ; attempt++) {
    // Out of time the claims may be adopted (and applied) elsewhere: applying here too would count twice.
    if (outOfTime()) throw new Error(`chunk ${chunk}: no time left to apply it safely`);
    try {
      // Alert progress is read (again, after a conflict) for every attempt: its writes are conditioned on what was read.
      const alertWrites = deps.alerts ? await deps.alerts.chunkWrites(alerts, members, nowMs, attempt > 0) : [];
      await deps.usage.applyChunk(chunk, deltas, nowSeconds, alertWrites);
      return;
    } catch (error) {
      if (attempt >= CONFLICT_RETRIES) throw error;
      // Others added combinations of dimension values to an item: if this chunk's still fit, retry.
      if (error instanceof CombinationsExceeded) await relistCombinations(deps.usage, error.deltas);
      // Another consumer touched one of the items at the same moment: the whole chunk retries.
      else if (error instanceof TransactionConflict) await sleep(backoffMs(BACKOFF.chunkConflict, attempt + 1));
      else throw error;
    }
  }
}

async function applyLastChunk(deps: ApplyDeps, chunk: string, members: Pending[], nowSeconds: number, alerts: ContributionPlan, nowMs: number) {
  // Keep only the latest event per minute (and per minute of each combination of dimension
  // values): the others cannot win the minute anyway.
  const latest = new Map<string, LastValue>();
  const keep = (key: string, value: LastValue) => {
    const held = latest.get(key);
    if (!held || held.timestamp < value.timestamp || (held.timestamp === value.timestamp && held.identifier < value.identifier)) latest.set(key, value);
  };
  for (const { event: e } of members) {
    const minuteKey = `${e.meterId}|${e.customerId}|${Math.floor(e.timestamp / MINUTE)}`;
    const value: LastValue = { meterId: e.meterId, customerId: e.customerId, timestamp: e.timestamp, identifier: e.identifier, value: e.value };
    keep(minuteKey, value);
    if (e.dimensions) {
      const combination = combinationKey(e.dimensions);
      keep(`${minuteKey}|${combination}`, { ...value, combination });
    }
  }
  await forEachLimited([...latest.values()], 16, (last) => deps.usage.applyLast(last));
  // Before the marker: a replay of the chunk fires what a crash left unfired (firing is idempotent).
  await deps.alerts?.fireLast(alerts, members, nowMs);
  await deps.usage.markApplied(chunk, nowSeconds);
}
