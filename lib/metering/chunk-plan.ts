import { HOUR, MINUTE } from '../domain/time';
import { Quantity } from '../domain/quantity';
import type { ValidMeterEvent } from './meter-event';
import type { HourDelta } from './usage-apply';
import { NO_CONTRIBUTIONS, type ContributionPlan } from './usage-contributor';

/*
 * How the consumer cuts a batch into transactions: pure functions of the batch's events and the
 * contributors' plan (no I/O), tested on their own (test/unit/chunk-plan.test.ts; the room
 * they leave for usage alert items in test/unit/alerts.test.ts).
 */

/**
 * DynamoDB transactions hold 100 items: one marker and up to 99 more, each hourly usage item
 * one, and, for meters with usage alerts, what the contributor's plan reserves.
 */
export const ITEMS_PER_CHUNK = 99;


const hourOf = (timestamp: number) => timestamp - (timestamp % HOUR);
const bucketOf = (e: ValidMeterEvent) => `${e.meterId}|${e.customerId}|${hourOf(e.timestamp)}`;

/**
 * Assigns each event to the chunk that applies it: whole hourly usage items, as many per chunk
 * (one transaction each) as fit in 99 items with the usage alert items they may need (see
 * the contributor's plan); `last` meters share one chunk of idempotent updates.
 */
export class ChunkPlan {
  private readonly chunkOfBucket = new Map<string, string>();
  private chunks = 0;
  private itemsInChunk = ITEMS_PER_CHUNK;
  /** Alert items already reserved in the current chunk (meters, alert-customer pairs). */
  private alertItems = new Set<string>();

  constructor(
    private readonly attempt: string,
    private readonly alerts: ContributionPlan = NO_CONTRIBUTIONS,
  ) {}

  chunkOf(event: ValidMeterEvent): string {
    if (event.formula === 'last') return `${this.attempt}.last`;
    const bucket = bucketOf(event);
    let chunk = this.chunkOfBucket.get(bucket);
    if (!chunk) {
      const needs = (seen: Set<string>) => 1 + this.alerts.reserve(event.meterId, event.customerId, seen, true);
      if (this.itemsInChunk + needs(this.alertItems) > ITEMS_PER_CHUNK) {
        this.chunks++;
        this.itemsInChunk = 0;
        this.alertItems = new Set();
      }
      this.itemsInChunk += 1 + this.alerts.reserve(event.meterId, event.customerId, this.alertItems);
      chunk = `${this.attempt}.${this.chunks}`;
      this.chunkOfBucket.set(bucket, chunk);
    }
    return chunk;
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `items` in the order of their hourly usage items: planned so, a customer's items (and its alert progress items) share chunks. */
export function inBucketOrder<T extends { event: ValidMeterEvent }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareText(bucketOf(a.event), bucketOf(b.event)));
}

/**
 * Groups chunks into lanes: chunks whose events may touch the same usage alert progress item
 * (same alert and customer) share a lane; every other chunk is a lane of its own.
 */
export function lanesOf<T extends { event: ValidMeterEvent }>(byChunk: Map<string, T[]>, alerts: ContributionPlan): [string, T[]][][] {
  const laneOfKey = new Map<string, number>();
  const lanes: [string, T[]][][] = [];
  for (const entry of byChunk) {
    const pairKeys = new Set<string>();
    for (const { event } of entry[1]) {
      for (const key of alerts.sharedKeys(event.meterId, event.customerId)) pairKeys.add(key);
    }
    const joined = [...new Set([...pairKeys].map((key) => laneOfKey.get(key)).filter((lane): lane is number => lane !== undefined))];
    const lane = joined[0] ?? lanes.push([]) - 1;
    for (const other of joined.slice(1)) {
      // Two lanes meet in this chunk: merge them.
      lanes[lane]!.push(...lanes[other]!);
      lanes[other] = [];
      for (const [key, l] of laneOfKey) if (l === other) laneOfKey.set(key, lane);
    }
    lanes[lane]!.push(entry);
    for (const key of pairKeys) laneOfKey.set(key, lane);
  }
  return lanes.filter((lane) => lane.length);
}

/** The sum (or count) deltas of a chunk's events, one per hourly usage item and minute. */
export function hourDeltas(events: Iterable<ValidMeterEvent>): HourDelta[] {
  const byBucket = new Map<string, { event: ValidMeterEvent; total: Quantity; minutes: Map<number, Quantity> }>();
  for (const event of events) {
    const bucket = bucketOf(event);
    const entry = byBucket.get(bucket) ?? { event, total: new Quantity(0), minutes: new Map<number, Quantity>() };
    const minute = Math.floor((event.timestamp % HOUR) / MINUTE);
    entry.total = entry.total.plus(event.value);
    entry.minutes.set(minute, (entry.minutes.get(minute) ?? new Quantity(0)).plus(event.value));
    byBucket.set(bucket, entry);
  }
  return [...byBucket.values()].map(({ event, total, minutes }) => ({
    meterId: event.meterId,
    customerId: event.customerId,
    hourStart: hourOf(event.timestamp),
    total: total.toFixed(),
    minutes: new Map([...minutes].map(([m, q]) => [m, q.toFixed()])),
  }));
}

