import { combinationKey, MAX_COMBINATIONS_PER_HOUR } from '../domain/dimensions';
import { hourOf } from './usage-table';
import { CombinationsExceeded, hourRefKey, type HourDelta, type HourRef, type UsageStore } from './usage-store';
import type { ValidMeterEvent } from './meter-event';
import type { InvalidEvent, Pending } from './validate-batch';

/**
 * The consumer's check of the bound on combinations of dimension values: an hourly usage item
 * lists at most MAX_COMBINATIONS_PER_HOUR. The candidates whose combination is listed already,
 * or still fits (first come, first served, in batch order), go on; the others are refused with
 * an error report (`dimension_combinations_exceeded`) before anything is claimed for them. A
 * batch that raced another to the last places fails its chunk's condition (usage-apply.ts),
 * comes back, and is checked here again.
 */
export async function limitCombinations(usage: UsageStore, candidates: readonly Pending[]): Promise<{ accepted: Pending[]; refused: InvalidEvent[]; listed: ListedCombinations }> {
  const dimensioned = candidates.filter((p) => p.event.dimensions);
  if (dimensioned.length === 0) return { accepted: [...candidates], refused: [], listed: new Map() };
  const refs = new Map(dimensioned.map(({ event }) => [hourRefKey(hourRefOf(event)), hourRefOf(event)]));
  const stored = await usage.readCombinations([...refs.values()]);
  const listed = new Map([...stored].map(([ref, set]) => [ref, new Set(set)]));
  const accepted: Pending[] = [];
  const refused: InvalidEvent[] = [];
  for (const pending of candidates) {
    const { event } = pending;
    if (!event.dimensions) {
      accepted.push(pending);
      continue;
    }
    const ref = hourRefKey(hourRefOf(event));
    const combinations = listed.get(ref) ?? new Set<string>();
    listed.set(ref, combinations);
    const key = combinationKey(event.dimensions);
    if (combinations.has(key) || combinations.size < MAX_COMBINATIONS_PER_HOUR) {
      combinations.add(key);
      accepted.push(pending);
    } else {
      refused.push({
        event: { identifier: event.identifier, event_name: event.eventName, timestamp: event.timestamp, payload: {} },
        error: {
          code: 'dimension_combinations_exceeded',
          message: `Customer ${event.customerId} already has ${MAX_COMBINATIONS_PER_HOUR} combinations of dimension values on this meter in the hour of this event.`,
          param: 'payload',
        },
        meterId: event.meterId,
      });
    }
  }
  // What the items listed when read: the apply condition counts only the others (usage-apply.ts).
  return { accepted, refused, listed: stored };
}

/** The hourly usage item an event lands in. */
const hourRefOf = (event: ValidMeterEvent): HourRef => ({ meterId: event.meterId, customerId: event.customerId, hourStart: hourOf(event.timestamp) });

/** The combinations each hourly usage item listed when read, by hourRefKey. */
export type ListedCombinations = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * After a chunk's condition on combinations failed: the items' combinations read again. Each
 * delta gets what its item lists now, or, when its combinations no longer fit, CombinationsExceeded.
 */
export async function relistCombinations(usage: UsageStore, deltas: readonly HourDelta[]): Promise<void> {
  const listed = await usage.readCombinations(deltas);
  for (const delta of deltas) {
    const now = listed.get(hourRefKey(delta)) ?? new Set<string>();
    const union = new Set([...now, ...(delta.combinations?.keys() ?? [])]);
    if (union.size > MAX_COMBINATIONS_PER_HOUR) throw new CombinationsExceeded([delta]);
    delta.listed = now;
  }
}
