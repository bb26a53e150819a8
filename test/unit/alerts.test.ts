import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addUsage,
  appliesTo,
  availableBalance,
  counts,
  countedBeforeCancel,
  creditAlertsFiring,
  ITEMS_PER_ALERT_CUSTOMER,
  ITEMS_PER_ALERTED_METER,
  lastValueFires,
  MAX_ALERTS_PER_LIST,
  MAX_PAUSES,
  pausesAfter,
  type AlertPause,
  type CreditAlertRule,
  type UsageAlertRule,
} from '../../lib/domain/alerts';
import type { GrantTerms } from '../../lib/domain/credits';
import { Quantity } from '../../lib/domain/quantity';
import { ChunkPlan, ITEMS_PER_CHUNK } from '../../lib/metering/chunk-plan';
import { alertSnapshot } from '../../lib/alerts/usage-alerts';
import type { ValidMeterEvent } from '../../lib/metering/meter-event';

const rule = (overrides: Partial<UsageAlertRule> = {}): UsageAlertRule => ({ id: 'alrt_1', gte: 10, customer: null, createdMs: 1_000, pauses: [], ...overrides });

describe('usage alert rules', () => {
  it('count usage of the customer they filter on (or any customer), received from their creation on', () => {
    expect(counts(rule(), 'cus_a', 1_000)).toBe(true);
    expect(counts(rule(), 'cus_a', 999)).toBe(false);
    expect(counts(rule({ customer: 'cus_a' }), 'cus_a', 5_000)).toBe(true);
    expect(counts(rule({ customer: 'cus_a' }), 'cus_b', 5_000)).toBe(false);
    expect(appliesTo(rule({ customer: 'cus_a' }), 'cus_b')).toBe(false);
    expect(appliesTo(rule(), 'cus_b')).toBe(true);
  });

  it('take a cancelled event off only when they counted it: received since their creation, consumed outside their pauses', () => {
    const paused = rule({ customer: 'cus_a', pauses: [{ fromMs: 4_000, toMs: 5_000 }, { fromMs: 8_000, toMs: null }] });
    // Consumed in an active spell: before the first pause, between the pauses, at an activation.
    expect(countedBeforeCancel(paused, 'cus_a', 2_000, 3_999)).toBe(true);
    expect(countedBeforeCancel(paused, 'cus_a', 6_000, 6_100)).toBe(true);
    expect(countedBeforeCancel(paused, 'cus_a', 4_900, 5_000)).toBe(true);
    // Consumed while deactivated (the open pause included): never counted.
    expect(countedBeforeCancel(paused, 'cus_a', 2_000, 4_000)).toBe(false);
    expect(countedBeforeCancel(paused, 'cus_a', 4_500, 4_999)).toBe(false);
    expect(countedBeforeCancel(paused, 'cus_a', 9_000, 9_100)).toBe(false);
    // Received before the alert existed, or another customer's.
    expect(countedBeforeCancel(rule({ createdMs: 3_000 }), 'cus_a', 2_999, 3_500)).toBe(false);
    expect(countedBeforeCancel(paused, 'cus_b', 6_000, 6_100)).toBe(false);
  });

  it('open a pause on deactivation and close it on activation; past MAX_PAUSES the oldest two merge', () => {
    expect(pausesAfter([], true, 10)).toEqual([]);
    const paused = pausesAfter([], false, 10);
    expect(paused).toEqual([{ fromMs: 10, toMs: null }]);
    expect(pausesAfter(paused, false, 15)).toEqual(paused);
    const resumed = pausesAfter(paused, true, 20);
    expect(resumed).toEqual([{ fromMs: 10, toMs: 20 }]);
    expect(pausesAfter(resumed, true, 25)).toEqual(resumed);

    let pauses: AlertPause[] = [];
    for (let i = 0; i <= MAX_PAUSES; i++) pauses = pausesAfter(pausesAfter(pauses, false, i * 100), true, i * 100 + 50);
    expect(pauses).toHaveLength(MAX_PAUSES);
    expect(pauses[0]).toEqual({ fromMs: 0, toMs: 150 });
    expect(pauses.at(-1)).toEqual({ fromMs: MAX_PAUSES * 100, toMs: MAX_PAUSES * 100 + 50 });
  });

  it('fire when the exact total reaches gte, once', () => {
    expect(addUsage('9.9', '0.1', 10, false)).toEqual({ total: '10', fires: true });
    expect(addUsage('9.9', '0.09', 10, false)).toEqual({ total: '9.99', fires: false });
    expect(addUsage('12', '1', 10, true)).toEqual({ total: '13', fires: false });
    expect(addUsage('11', '-2', 10, false)).toEqual({ total: '9', fires: false });
  });

  it('fire for a last meter when one reported value reaches gte', () => {
    expect(lastValueFires('100', 100)).toBe(true);
    expect(lastValueFires('99.999999999999', 100)).toBe(false);
  });

  it('keep totals exact whatever the order of the deltas (0.1 + 0.2 is 0.3)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10_000, max: 10_000 }), { maxLength: 30 }), (cents) => {
        const deltas = cents.map((c) => new Quantity(c).div(100).toFixed());
        const forward = deltas.reduce((total, d) => addUsage(total, d, 1e9, false).total, '0');
        const backward = [...deltas].reverse().reduce((total, d) => addUsage(total, d, 1e9, false).total, '0');
        expect(forward).toBe(backward);
        expect(forward).toBe(new Quantity(cents.reduce((a, b) => a + b, 0)).div(100).toFixed());
      }),
    );
  });

  it('fire exactly once over any sequence of positive deltas, at the first total that reaches gte', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 500 }), (deltas, gte) => {
        let state = { total: '0', triggered: false };
        const fired: string[] = [];
        for (const d of deltas) {
          const next = addUsage(state.total, String(d), gte, state.triggered);
          if (next.fires) fired.push(next.total);
          state = { total: next.total, triggered: state.triggered || next.fires };
        }
        const sum = deltas.reduce((a, b) => a + b, 0);
        expect(fired.length).toBe(sum >= gte ? 1 : 0);
        if (fired.length) expect(Number(fired[0]) - gte).toBeLessThan(Math.max(...deltas));
      }),
    );
  });
});

describe('credit alert rules', () => {
  const grant = (overrides: Partial<GrantTerms>): GrantTerms => ({
    id: 'credgr_1',
    currency: 'usd',
    category: 'paid',
    priority: 50,
    effective_at: 0,
    expires_at: null,
    voided_at: null,
    created: 0,
    scope: { price_type: 'metered' },
    remaining: 100,
    ...overrides,
  });
  const creditRule = (overrides: Partial<CreditAlertRule> = {}): CreditAlertRule => ({ id: 'alrt_c', currency: 'usd', lte: 100, createdMs: 0, active: true, triggered: false, ...overrides });

  it('count only what grants usable now hold, in the currency', () => {
    const grants = [
      grant({ id: 'a', remaining: 300 }),
      grant({ id: 'b', remaining: 50, expires_at: 500 }),
      grant({ id: 'c', remaining: 70, effective_at: 2_000 }),
      grant({ id: 'd', remaining: 20, voided_at: 10 }),
      grant({ id: 'e', remaining: 1_000, currency: 'eur' }),
    ];
    expect(availableBalance(grants, 'usd', 100)).toBe(350);
    expect(availableBalance(grants, 'usd', 600)).toBe(300);
    expect(availableBalance(grants, 'usd', 3_000)).toBe(370);
    expect(availableBalance(grants, 'jpy', 100)).toBe(0);
  });

  it('fire when active, not fired yet, and the balance is at or below lte', () => {
    const rules = [creditRule({ id: 'at' }), creditRule({ id: 'below', lte: 200 }), creditRule({ id: 'above', lte: 99 }), creditRule({ id: 'off', active: false }), creditRule({ id: 'done', triggered: true })];
    expect(creditAlertsFiring(rules, () => 100).map((r) => r.id)).toEqual(['at', 'below']);
  });
});

describe('chunk planning with usage alerts', () => {
  const event = (meterId: string, customerId: string, hour: number, i: number): ValidMeterEvent => ({
    identifier: `ev_${i}`,
    eventName: meterId,
    meterId,
    customerId,
    formula: 'sum',
    timestamp: hour * 3600,
    value: '1',
  });

  it('keeps every chunk within one DynamoDB transaction: marker, hourly items and every alert item it may write', () => {
    const meters = ['mtr_a', 'mtr_b', 'mtr_c'];
    const customers = Array.from({ length: 12 }, (_, i) => `cus_${i}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 600 }),
        fc.array(fc.integer({ min: 0, max: MAX_ALERTS_PER_LIST }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 11 }), { nil: undefined }), { minLength: MAX_ALERTS_PER_LIST, maxLength: MAX_ALERTS_PER_LIST }),
        (tuples, ruleCounts, filters) => {
          const snapshot = alertSnapshot(
            new Map(
              meters
                .map((m, i) => [m, { version: 1, rules: Array.from({ length: ruleCounts[i]! }, (_, r) => rule({ id: `alrt_${m}_${r}`, customer: filters[r] === undefined ? null : customers[filters[r]!]! })) }] as const)
                .filter(([, list]) => list.rules.length),
            ),
          );
          const plan = new ChunkPlan('attempt', snapshot);
          const events = tuples.map(([m, c, h], i) => event(meters[m]!, customers[c]!, h, i));
          const chunks = new Map<string, ValidMeterEvent[]>();
          for (const e of events) chunks.set(plan.chunkOf(e), [...(chunks.get(plan.chunkOf(e)) ?? []), e]);
          for (const members of chunks.values()) {
            const buckets = new Set(members.map((e) => `${e.meterId}|${e.customerId}|${e.timestamp}`));
            const alerted = new Set(members.filter((e) => snapshot.meters.has(e.meterId)).map((e) => e.meterId));
            const pairs = new Set(
              members.flatMap((e) => (snapshot.meters.get(e.meterId)?.rules ?? []).filter((r) => appliesTo(r, e.customerId)).map((r) => `${r.id}|${e.customerId}`)),
            );
            const items = 1 + buckets.size + ITEMS_PER_ALERTED_METER * alerted.size + ITEMS_PER_ALERT_CUSTOMER * pairs.size;
            expect(items).toBeLessThanOrEqual(ITEMS_PER_CHUNK + 1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs 99 hourly items per chunk when no meter has alerts', () => {
    const plan = new ChunkPlan('attempt');
    const chunks = new Set(Array.from({ length: 198 }, (_, i) => plan.chunkOf(event('mtr_a', 'cus_a', i, i))));
    expect(chunks.size).toBe(2);
  });
});
