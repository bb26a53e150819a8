import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ADDS_PER_UPDATE, ChunkPlan, hourDeltas, inBucketOrder, ITEMS_PER_CHUNK, lanesOf } from '../../lib/metering/chunk-plan';
import { combinationKey } from '../../lib/domain/dimensions';
import { NO_CONTRIBUTIONS, type ContributionPlan } from '../../lib/metering/usage-contributor';
import type { ValidMeterEvent } from '../../lib/metering/meter-event';
import { Quantity } from '../../lib/domain/quantity';
import { HOUR } from '../../lib/domain/time';

/*
 * The consumer's chunk planner: pure functions, so their invariants are checked for any batch.
 * (How chunks leave room for usage alert items is checked in alerts.test.ts.)
 */

const METERS = ['mtr_a', 'mtr_b', 'mtr_c'];
const CUSTOMERS = ['cus_a', 'cus_b', 'cus_c', 'cus_d', 'cus_e'];
const DAY_START = 1_767_225_600; // 2026-01-01T00:00:00Z

/** A decimal value of up to 12 digits with 0 to 3 decimals, negative as a correction. */
const arbValue = fc
  .tuple(fc.boolean(), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 3 }))
  .map(([negative, whole, fraction, decimals]) => `${negative ? '-' : ''}${whole}${decimals ? `.${String(fraction).padStart(3, '0').slice(0, decimals)}` : ''}`);

/** Events of a batch: a few meters and customers over two days, so that hours and minutes repeat. */
const arbEvents = (formulas: ValidMeterEvent['formula'][] = ['sum', 'count']) =>
  fc
    .array(
      fc.record({
        meter: fc.constantFrom(...METERS),
        customer: fc.constantFrom(...CUSTOMERS),
        formula: fc.constantFrom(...formulas),
        at: fc.integer({ min: 0, max: 2 * 24 * HOUR - 1 }),
        value: arbValue,
      }),
      { maxLength: 400 },
    )
    .map((drafts) =>
      drafts.map(
        (d, i): ValidMeterEvent => ({
          identifier: `ev_${i}`,
          eventName: d.meter,
          meterId: d.meter,
          customerId: d.customer,
          formula: d.formula,
          timestamp: DAY_START + d.at,
          value: d.formula === 'count' ? '1' : d.value,
        }),
      ),
    );

/** The hourly usage item of an event, as text that sorts as the planner orders items. */
const bucketOf = (e: ValidMeterEvent) => `${e.meterId}|${e.customerId}|${e.timestamp - (e.timestamp % HOUR)}`;
const exactSum = (values: Iterable<string>) => [...values].reduce((total, v) => total.plus(v), new Quantity(0));

/** Plans `events` as the consumer does (in bucket order), and returns each event's chunk. */
function planned(events: ValidMeterEvent[], alerts?: ContributionPlan) {
  const plan = new ChunkPlan('attempt', alerts);
  for (const e of inBucketOrder(events.map((event) => ({ event })))) plan.chunkOf(e.event);
  return new Map(events.map((e) => [e, plan.chunkOf(e)]));
}

describe('the chunk planner', () => {
  it('gives every event of one hourly usage item the same chunk, every `last` event the chunk of idempotent writes, and asks the same answer twice', () => {
    fc.assert(
      fc.property(arbEvents(['sum', 'count', 'last']), (events) => {
        const chunks = planned(events);
        const chunkOfBucket = new Map<string, string>();
        for (const [event, chunk] of chunks) {
          expect(chunk.startsWith('attempt.')).toBe(true);
          if (event.formula === 'last') {
            expect(chunk).toBe('attempt.last');
            continue;
          }
          expect(chunk).not.toBe('attempt.last');
          expect(chunkOfBucket.get(bucketOf(event)) ?? chunk).toBe(chunk);
          chunkOfBucket.set(bucketOf(event), chunk);
        }
      }),
    );
  });

  it('fills chunks with at most 99 hourly items, in bucket order, using no more chunks than needed', () => {
    fc.assert(
      fc.property(arbEvents(), (events) => {
        const chunks = planned(events);
        const bucketsOf = new Map<string, Set<string>>();
        for (const [event, chunk] of chunks) bucketsOf.set(chunk, (bucketsOf.get(chunk) ?? new Set()).add(bucketOf(event)));
        for (const buckets of bucketsOf.values()) expect(buckets.size).toBeLessThanOrEqual(ITEMS_PER_CHUNK);
        const distinct = new Set(events.map(bucketOf)).size;
        expect(bucketsOf.size).toBe(Math.ceil(distinct / ITEMS_PER_CHUNK));
      }),
    );
  });

  it('orders a batch by hourly usage item without losing or adding an event', () => {
    fc.assert(
      fc.property(arbEvents(['sum', 'count', 'last']), (events) => {
        const ordered = inBucketOrder(events.map((event) => ({ event }))).map((p) => p.event);
        expect([...ordered].sort((a, b) => a.identifier.localeCompare(b.identifier))).toEqual([...events].sort((a, b) => a.identifier.localeCompare(b.identifier)));
        for (let i = 1; i < ordered.length; i++) expect(bucketOf(ordered[i - 1]!) <= bucketOf(ordered[i]!)).toBe(true);
      }),
    );
  });

  it('adds up every hourly item exactly: one delta per item, its total the sum of its minutes and of its events', () => {
    fc.assert(
      fc.property(arbEvents(), (events) => {
        const deltas = hourDeltas(events);
        expect(deltas.map((d) => `${d.meterId}|${d.customerId}|${d.hourStart}`).sort()).toEqual([...new Set(events.map(bucketOf))].sort());
        for (const delta of deltas) {
          expect(delta.hourStart % HOUR).toBe(0);
          const members = events.filter((e) => bucketOf(e) === `${delta.meterId}|${delta.customerId}|${delta.hourStart}`);
          expect(new Quantity(delta.total).eq(exactSum(members.map((e) => e.value)))).toBe(true);
          expect(new Quantity(delta.total).eq(exactSum(delta.minutes.values()))).toBe(true);
          for (const [minute, value] of delta.minutes) {
            expect(minute).toBeGreaterThanOrEqual(0);
            expect(minute).toBeLessThan(60);
            const inMinute = members.filter((e) => Math.floor((e.timestamp - delta.hourStart) / 60) === minute);
            expect(new Quantity(value).eq(exactSum(inMinute.map((e) => e.value)))).toBe(true);
          }
        }
        expect(exactSum(deltas.map((d) => d.total)).eq(exactSum(events.map((e) => e.value)))).toBe(true);
      }),
    );
  });

  it('puts chunks that share an item (an alert and customer) in one lane, and every chunk in exactly one lane', () => {
    // Shared items as usage alerts make them: here, one per customer of meters a and b.
    const alerts: ContributionPlan = {
      reserve: () => 0,
      sharedKeys: (meterId, customerId) => (meterId === 'mtr_c' ? [] : [`alert|${customerId}`]),
    };
    fc.assert(
      fc.property(arbEvents(), fc.integer({ min: 1, max: 30 }), (events, perChunk) => {
        // Small chunks, so that customers spread over several.
        const byChunk = new Map<string, { event: ValidMeterEvent }[]>();
        events.forEach((event, i) => {
          const chunk = `attempt.${Math.floor(i / perChunk)}`;
          byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), { event }]);
        });
        for (const plan of [alerts, NO_CONTRIBUTIONS]) {
          const lanes = lanesOf(byChunk, plan);
          expect(lanes.flat().map(([chunk]) => chunk).sort()).toEqual([...byChunk.keys()].sort());
          const laneOfKey = new Map<string, number>();
          lanes.forEach((lane, index) => {
            expect(lane.length).toBeGreaterThan(0);
            for (const [, members] of lane) {
              for (const { event } of members) {
                for (const key of plan.sharedKeys(event.meterId, event.customerId)) {
                  expect(laneOfKey.get(key) ?? index).toBe(index);
                  laneOfKey.set(key, index);
                }
              }
            }
          });
          if (plan === NO_CONTRIBUTIONS) expect(lanes).toHaveLength(byChunk.size);
        }
      }),
    );
  });

  it('splits a dimensioned hourly item over chunks when its ADDs would pass the limit, never naming an item twice in a chunk, and adds up every combination exactly', () => {
    // One customer's backfilled hours: up to 20 combinations, any minute.
    const arbDimensioned = fc
      .array(fc.record({ combination: fc.integer({ min: 0, max: 19 }), at: fc.integer({ min: 0, max: 2 * HOUR - 1 }), value: arbValue }), { minLength: 100, maxLength: 600, size: 'max' })
      .map((drafts) =>
        drafts.map(
          (d, i): ValidMeterEvent => ({
            identifier: `ev_${i}`,
            eventName: 'tokens',
            meterId: 'mtr_a',
            customerId: 'cus_a',
            formula: 'sum',
            timestamp: DAY_START + d.at,
            value: d.value,
            dimensions: { model: `m${d.combination % 5}`, token_type: d.combination < 5 ? 'input' : `t${d.combination}` },
          }),
        ),
      );
    fc.assert(
      fc.property(arbDimensioned, (events) => {
        const chunks = planned(events);
        const byChunk = new Map<string, ValidMeterEvent[]>();
        for (const [event, chunk] of chunks) byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), event]);
        const combined = new Map<string, Quantity>();
        for (const members of byChunk.values()) {
          const deltas = hourDeltas(members);
          // A transaction names an item once.
          expect(new Set(deltas.map((d) => d.hourStart)).size).toBe(deltas.length);
          for (const delta of deltas) {
            const combos = [...(delta.combinations ?? new Map())];
            const adds = 1 + delta.minutes.size + 1 + combos.reduce((n, [, c]) => n + 1 + c.minutes.size, 0);
            expect(adds).toBeLessThanOrEqual(ADDS_PER_UPDATE);
            for (const [key, c] of combos) combined.set(`${delta.hourStart}|${key}`, (combined.get(`${delta.hourStart}|${key}`) ?? new Quantity(0)).plus(c.total));
          }
        }
        const expected = new Map<string, Quantity>();
        for (const e of events) {
          const key = `${e.timestamp - (e.timestamp % HOUR)}|${combinationKey(e.dimensions!)}`;
          expected.set(key, (expected.get(key) ?? new Quantity(0)).plus(e.value));
        }
        expect(new Map([...combined].map(([k, q]) => [k, q.toFixed()]))).toEqual(new Map([...expected].map(([k, q]) => [k, q.toFixed()])));
      }),
      { numRuns: 50 },
    );
  });
});
