import { HOUR, MINUTE } from '../domain/time';
import { Quantity } from '../domain/quantity';
import type { ValidMeterEvent } from './meter-event';
import type { HourDelta, UsageDelta } from './usage-apply';
import { combinationKey } from '../domain/dimensions';
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
 * Most ADDs one hourly item's update takes: a placeholder pair is about 13 characters, the
 * combination conditions about 600 for 20 combinations, and DynamoDB refuses expressions over
 * 4 KB. Without dimensions an item has at most 61 (the hour and 60 minutes); with them, a
 * backfilled hour's combinations can need more, and the item is split over several chunks.
 */
export const ADDS_PER_UPDATE = 150;

/** The attributes an event adds to on its hourly item: the meter's hour and minute, and its combination's. */
function addsOf(event: ValidMeterEvent): string[] {
  const minute = Math.floor((event.timestamp % HOUR) / MINUTE);
  if (!event.dimensions) return ['h', `m${minute}`];
  const combination = combinationKey(event.dimensions);
  return ['h', `m${minute}`, 'dc', `d${combination}`, `d${combination}m${minute}`];
}

/** The events of one hourly usage item that one chunk applies, and what they add to. */
interface Part {
  chunk: string;
  adds: Set<string>;
}

/**
 * Assigns each event to the chunk that applies it: whole hourly usage items, as many per chunk
 * (one transaction each) as fit in 99 items with the usage alert items they may need (see
 * the contributor's plan); an item whose update would pass ADDS_PER_UPDATE continues in another
 * chunk (a transaction may name an item once); `last` meters share one chunk of idempotent updates.
 */
export class ChunkPlan {
  private readonly partsOfBucket = new Map<string, Part[]>();
  private readonly chunkOfEvent = new Map<string, string>();
  private chunks = 0;
  private itemsInChunk = ITEMS_PER_CHUNK;
  /** Buckets with a part in the current chunk. */
  private bucketsInChunk = new Set<string>();
  /** Alert items already reserved in the current chunk (meters, alert-customer pairs). */
  private alertItems = new Set<string>();

  constructor(
    private readonly attempt: string,
    private readonly alerts: ContributionPlan = NO_CONTRIBUTIONS,
  ) {}

  chunkOf(event: ValidMeterEvent): string {
    if (event.formula === 'last') return `${this.attempt}.last`;
    const bucket = bucketOf(event);
    const memo = `${event.identifier}|${bucket}`;
    const planned = this.chunkOfEvent.get(memo);
    if (planned) return planned;
    const adds = addsOf(event);
    const parts = this.partsOfBucket.get(bucket) ?? [];
    this.partsOfBucket.set(bucket, parts);
    let part = parts.find((p) => adds.every((a) => p.adds.has(a))) ?? parts.at(-1);
    if (part && part.adds.size + adds.filter((a) => !part!.adds.has(a)).length > ADDS_PER_UPDATE) part = undefined;
    if (!part) {
      part = { chunk: this.openPart(event, bucket), adds: new Set() };
      parts.push(part);
    }
    for (const a of adds) part.adds.add(a);
    this.chunkOfEvent.set(memo, part.chunk);
    return part.chunk;
  }

  /** The chunk of a new part of `bucket`: the current chunk if it has room and no part of the bucket yet, else a new one. */
  private openPart(event: ValidMeterEvent, bucket: string): string {
    const needs = (seen: Set<string>) => 1 + this.alerts.reserve(event.meterId, event.customerId, seen, true);
    if (this.itemsInChunk + needs(this.alertItems) > ITEMS_PER_CHUNK || this.bucketsInChunk.has(bucket)) {
      this.chunks++;
      this.itemsInChunk = 0;
      this.alertItems = new Set();
      this.bucketsInChunk = new Set();
    }
    this.itemsInChunk += 1 + this.alerts.reserve(event.meterId, event.customerId, this.alertItems);
    this.bucketsInChunk.add(bucket);
    return `${this.attempt}.${this.chunks}`;
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `items` in the order of their hourly usage items: planned so, a customer's items (and its alert progress items) share chunks. */
export function inBucketOrder<T extends { event: ValidMeterEvent }>(items: readonly T[]): T[] {
  const order = (e: ValidMeterEvent) => (e.dimensions ? `${bucketOf(e)}|${combinationKey(e.dimensions)}` : bucketOf(e));
  return [...items].sort((a, b) => compareText(order(a.event), order(b.event)));
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

/** A total and its minutes, being added up. */
class Tally {
  total = new Quantity(0);
  readonly minutes = new Map<number, Quantity>();

  add(minute: number, value: string): void {
    this.total = this.total.plus(value);
    this.minutes.set(minute, (this.minutes.get(minute) ?? new Quantity(0)).plus(value));
  }

  exact(): UsageDelta {
    return { total: this.total.toFixed(), minutes: new Map([...this.minutes].map(([m, q]) => [m, q.toFixed()])) };
  }
}

/**
 * The sum (or count) deltas of a chunk's events, one per hourly usage item and minute; for a
 * meter with dimensions, also one per combination of dimension values on the same item.
 */
export function hourDeltas(events: Iterable<ValidMeterEvent>): HourDelta[] {
  const byBucket = new Map<string, { event: ValidMeterEvent; tally: Tally; combinations?: Map<string, Tally> }>();
  for (const event of events) {
    const bucket = bucketOf(event);
    const entry = byBucket.get(bucket) ?? { event, tally: new Tally() };
    const minute = Math.floor((event.timestamp % HOUR) / MINUTE);
    entry.tally.add(minute, event.value);
    if (event.dimensions) {
      const key = combinationKey(event.dimensions);
      entry.combinations ??= new Map();
      const tally = entry.combinations.get(key) ?? new Tally();
      tally.add(minute, event.value);
      entry.combinations.set(key, tally);
    }
    byBucket.set(bucket, entry);
  }
  return [...byBucket.values()].map(({ event, tally, combinations }) => ({
    meterId: event.meterId,
    customerId: event.customerId,
    hourStart: hourOf(event.timestamp),
    ...tally.exact(),
    ...(combinations ? { combinations: new Map([...combinations].map(([key, t]) => [key, t.exact()])) } : {}),
  }));
}
