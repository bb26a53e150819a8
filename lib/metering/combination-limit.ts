import { combinationKey, MAX_COMBINATIONS_PER_HOUR } from '../domain/dimensions';
import { hourOf } from './usage-table';
import { hourRefKey, type UsageStore } from './usage-store';
import type { InvalidEvent, Pending } from './validate-batch';

/**
 * The consumer's check of the bound on combinations of dimension values: an hourly usage item
 * lists at most MAX_COMBINATIONS_PER_HOUR. The candidates whose combination is listed already,
 * or still fits (first come, first served, in batch order), go on; the others are refused with
 * an error report (`dimension_combinations_exceeded`) before anything is claimed for them. A
 * batch that raced another to the last places fails its chunk's condition (usage-apply.ts),
 * comes back, and is checked here again.
 */
export async function limitCombinations(usage: UsageStore, candidates: readonly Pending[]): Promise<{ accepted: Pending[]; refused: InvalidEvent[] }> {
  const dimensioned = candidates.filter((p) => p.event.dimensions);
  if (dimensioned.length === 0) return { accepted: [...candidates], refused: [] };
  const refs = new Map(dimensioned.map(({ event }) => {
    const ref = { meterId: event.meterId, customerId: event.customerId, hourStart: hourOf(event.timestamp) };
    return [hourRefKey(ref), ref];
  }));
  const listed = await usage.readCombinations([...refs.values()]);
  const accepted: Pending[] = [];
  const refused: InvalidEvent[] = [];
  for (const pending of candidates) {
    const { event } = pending;
    if (!event.dimensions) {
      accepted.push(pending);
      continue;
    }
    const ref = hourRefKey({ meterId: event.meterId, customerId: event.customerId, hourStart: hourOf(event.timestamp) });
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
  return { accepted, refused };
}
