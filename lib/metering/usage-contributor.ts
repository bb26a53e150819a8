import type { ValidMeterEvent } from './meter-event';
import type { TransactItem } from '../store/dynamo';
import type { Claim } from './usage-claims';

/** A counted event and when the API received it. */
export interface ReceivedEvent {
  event: ValidMeterEvent;
  receivedMs: number;
}

/**
 * What a contributor read for one batch, and what the chunk planner must know of it: the
 * transaction items its writes will take in a chunk, and the shared items that make chunks apply
 * one after the other.
 */
export interface ContributionPlan {
  /** Items that adding (meter, customer) takes in a chunk that already holds `seen` (added to `seen` unless `dryRun`). */
  reserve(meterId: string, customerId: string, seen: Set<string>, dryRun?: boolean): number;
  /** Keys of the shared items an event of (meter, customer) writes: chunks with a key in common share a lane. */
  sharedKeys(meterId: string, customerId: string): string[];
}

export const NO_CONTRIBUTIONS: ContributionPlan = { reserve: () => 0, sharedKeys: () => [] };

/**
 * Something that writes in the transactions of the meter-events consumer (usage alerts, which
 * count each event exactly once with its chunk): the consumer calls it, and depends on no
 * capability above it. Plugged in by the composition root.
 */
export interface UsageContributor<P extends ContributionPlan = ContributionPlan> {
  /** Read once per batch, for the meters of the batch. */
  snapshot(meterIds: readonly string[]): Promise<P>;
  /** The writes of one sum/count chunk, committed in its transaction. `reread`: a retry after a conflict. */
  chunkWrites(plan: P, events: readonly ReceivedEvent[], nowMs: number, reread: boolean): Promise<TransactItem[]>;
  /** The effects of counted `last` events, which are levels, not amounts. */
  fireLast(plan: P, events: readonly ReceivedEvent[], nowMs: number): Promise<void>;
  /** The writes that take a cancelled event back, in the cancellation's transaction. */
  cancelWrites(claim: Claim): Promise<TransactItem[]>;
}
