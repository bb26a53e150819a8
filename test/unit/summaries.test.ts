import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aggregate } from '../../lib/metering/summarize-usage';
import type { UsageHour } from '../../lib/metering/usage-reads';
import { Quantity } from '../../lib/domain/quantity';

const HOUR0 = 1_790_000_000 - (1_790_000_000 % 3600);

function hour(hourStart: number, minutes: Record<number, string>, lastAt: Record<number, [number, string]> = {}): UsageHour {
  return {
    hourStart,
    minutes: new Map(Object.entries(minutes).map(([m, v]) => [Number(m), v])),
    lastAt: new Map(Object.entries(lastAt).map(([m, v]) => [Number(m), v])),
  };
}

describe('aggregate', () => {
  const hours = [hour(HOUR0, { 0: '1.1', 30: '2.2', 59: '-0.3' }), hour(HOUR0 + 3600, { 0: '10', 1: '0.0000000001' })];

  it('sums only the minutes inside [start, end)', () => {
    expect(aggregate('sum', hours, HOUR0, HOUR0 + 7200).toFixed()).toBe('13.0000000001');
    expect(aggregate('sum', hours, HOUR0 + 30 * 60, HOUR0 + 3600).toFixed()).toBe('1.9');
    expect(aggregate('sum', hours, HOUR0 + 60, HOUR0 + 30 * 60).toFixed()).toBe('0');
  });

  it('takes the latest event for last, breaking ties by identifier', () => {
    const last = [
      hour(HOUR0, { 5: '7', 9: '3' }, { 5: [HOUR0 + 330, 'b'], 9: [HOUR0 + 540, 'a'] }),
      hour(HOUR0 + 3600, { 0: '8' }, { 0: [HOUR0 + 3600, 'a'] }),
    ];
    expect(aggregate('last', last, HOUR0, HOUR0 + 3600).toFixed()).toBe('3');
    expect(aggregate('last', last, HOUR0, HOUR0 + 7200).toFixed()).toBe('8');
    expect(aggregate('last', last, HOUR0, HOUR0 + 540).toFixed()).toBe('7');
  });

  it('equals the exact sum of the minute values in range, for any minutes and range', () => {
    const minuteValue = fc.tuple(fc.integer({ min: 0, max: 179 }), fc.integer({ min: -10_000, max: 10_000 }));
    fc.assert(
      fc.property(fc.array(minuteValue, { maxLength: 60 }), fc.integer({ min: 0, max: 180 }), fc.integer({ min: 0, max: 180 }), (values, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const byHour = new Map<number, Record<number, string>>();
        const merged = new Map<number, Quantity>();
        for (const [minute, cents] of values) merged.set(minute, (merged.get(minute) ?? new Quantity(0)).plus(new Quantity(cents).div(100)));
        for (const [minute, q] of merged) {
          const h = Math.floor(minute / 60);
          byHour.set(h, { ...byHour.get(h), [minute % 60]: q.toFixed() });
        }
        const hoursList = [...byHour].map(([h, minutes]) => hour(HOUR0 + h * 3600, minutes));
        let expected = new Quantity(0);
        for (const [minute, q] of merged) if (minute >= from && minute < to) expected = expected.plus(q);
        expect(aggregate('sum', hoursList, HOUR0 + from * 60, HOUR0 + to * 60).equals(expected)).toBe(true);
      }),
    );
  });
});

describe('hourDeltas', () => {
  it('pre-aggregates a batch into one exact delta per hourly item and minute', async () => {
    const { hourDeltas } = await import('../../lib/metering/chunk-plan');
    const base = { eventName: 'e', meterId: 'mtr_1', formula: 'sum' as const };
    const events = [
      { ...base, identifier: 'a', customerId: 'cus_1', timestamp: HOUR0 + 61, value: '0.1' },
      { ...base, identifier: 'b', customerId: 'cus_1', timestamp: HOUR0 + 119, value: '0.2' },
      { ...base, identifier: 'c', customerId: 'cus_1', timestamp: HOUR0 + 3600, value: '-1' },
      { ...base, identifier: 'd', customerId: 'cus_2', timestamp: HOUR0 + 5, value: '7' },
    ];
    expect(hourDeltas(events)).toEqual([
      { meterId: 'mtr_1', customerId: 'cus_1', hourStart: HOUR0, total: '0.3', minutes: new Map([[1, '0.3']]) },
      { meterId: 'mtr_1', customerId: 'cus_1', hourStart: HOUR0 + 3600, total: '-1', minutes: new Map([[0, '-1']]) },
      { meterId: 'mtr_1', customerId: 'cus_2', hourStart: HOUR0, total: '7', minutes: new Map([[0, '7']]) },
    ]);
  });
});
