import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money } from '../../lib/domain/money';
import {
  isValidIntervalCount,
  period,
  periodBoundary,
  periodIndexAt,
  prorationFactor,
  shiftByIntervals,
  type BillingCycle,
  type Interval,
} from '../../lib/domain/periods';

const DAY = 86_400;
const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function cycle(overrides: Partial<BillingCycle> & { start: number }): BillingCycle {
  return { anchor: overrides.start, interval: 'month', intervalCount: 1, ...overrides };
}

const boundaries = (c: BillingCycle, count: number) => Array.from({ length: count }, (_, k) => iso(periodBoundary(c, k)));

const moment = fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') });
const interval = fc.constantFrom<Interval>('day', 'week', 'month', 'year');
const maxCount: Record<Interval, number> = { day: 1095, week: 156, month: 36, year: 3 };
/** A valid cycle whose anchor is its start or falls within one interval after it. */
const billingCycle = fc
  .tuple(moment, interval, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([start, every, countShare, anchored, anchorShare]): BillingCycle => {
    const intervalCount = 1 + Math.floor(countShare * (maxCount[every] - 1));
    const oneInterval = shiftByIntervals(start, every, intervalCount) - start;
    const anchor = anchored ? start : start + 1 + Math.floor(anchorShare * (oneInterval - 1));
    return { start, anchor, interval: every, intervalCount };
  });
const daysInMonth = (t: number) => {
  const d = new Date(t * 1000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
};

describe('shiftByIntervals', () => {
  it('bills an anchor on the 31st on the last day of shorter months and returns to the 31st', () => {
    const jan31 = at('2025-01-31T12:34:56Z');
    const months = Array.from({ length: 13 }, (_, n) => iso(shiftByIntervals(jan31, 'month', n)).slice(0, 10));
    expect(months).toEqual([
      '2025-01-31', '2025-02-28', '2025-03-31', '2025-04-30', '2025-05-31', '2025-06-30', '2025-07-31',
      '2025-08-31', '2025-09-30', '2025-10-31', '2025-11-30', '2025-12-31', '2026-01-31',
    ]);
    expect(iso(shiftByIntervals(jan31, 'month', 1))).toBe('2025-02-28T12:34:56.000Z');
  });

  it('uses February 29 in leap years', () => {
    expect(iso(shiftByIntervals(at('2024-01-31T00:00:00Z'), 'month', 1))).toBe('2024-02-29T00:00:00.000Z');
    expect(iso(shiftByIntervals(at('2024-03-31T08:00:00Z'), 'month', -1))).toBe('2024-02-29T08:00:00.000Z');
  });

  it('treats a year as twelve months, so February 29 becomes February 28 in other years', () => {
    const leapDay = at('2024-02-29T06:00:00Z');
    expect([1, 2, 3, 4].map((n) => iso(shiftByIntervals(leapDay, 'year', n)))).toEqual([
      '2025-02-28T06:00:00.000Z', '2026-02-28T06:00:00.000Z', '2027-02-28T06:00:00.000Z', '2028-02-29T06:00:00.000Z',
    ]);
    expect(iso(shiftByIntervals(leapDay, 'year', -1))).toBe('2023-02-28T06:00:00.000Z');
  });

  it('counts days and weeks as fixed lengths', () => {
    const t = at('2025-03-09T01:30:00Z');
    expect(shiftByIntervals(t, 'day', 3)).toBe(t + 3 * DAY);
    expect(shiftByIntervals(t, 'week', -2)).toBe(t - 14 * DAY);
    expect(shiftByIntervals(t, 'month', 0)).toBe(t);
  });

  it('returns to the anchor after shifting back, when the day of month exists in every month', () => {
    fc.assert(
      fc.property(moment, interval, fc.integer({ min: -1200, max: 1200 }), (anchor, every, n) => {
        fc.pre(new Date(anchor * 1000).getUTCDate() <= 28);
        expect(shiftByIntervals(shiftByIntervals(anchor, every, n), every, -n)).toBe(anchor);
      }),
    );
  });
});

describe('periodBoundary', () => {
  it('steps monthly from the anchor', () => {
    const c = cycle({ start: at('2024-01-31T09:00:00Z') });
    expect(boundaries(c, 4)).toEqual([
      '2024-01-31T09:00:00.000Z', '2024-02-29T09:00:00.000Z', '2024-03-31T09:00:00.000Z', '2024-04-30T09:00:00.000Z',
    ]);
  });

  it('steps by the interval count', () => {
    const quarterly = cycle({ start: at('2025-01-31T00:00:00Z'), intervalCount: 3 });
    expect(boundaries(quarterly, 5).map((t) => t.slice(0, 10))).toEqual(['2025-01-31', '2025-04-30', '2025-07-31', '2025-10-31', '2026-01-31']);
    const fortnightly = cycle({ start: at('2025-01-01T00:00:00Z'), interval: 'week', intervalCount: 2 });
    expect(boundaries(fortnightly, 3).map((t) => t.slice(0, 10))).toEqual(['2025-01-01', '2025-01-15', '2025-01-29']);
  });

  it('makes period 0 the partial stretch before a future anchor', () => {
    const c = cycle({ start: at('2025-01-10T15:00:00Z'), anchor: at('2025-02-01T00:00:00Z') });
    expect(period(c, 0)).toEqual({ start: at('2025-01-10T15:00:00Z'), end: at('2025-02-01T00:00:00Z') });
    expect(period(c, 1)).toEqual({ start: at('2025-02-01T00:00:00Z'), end: at('2025-03-01T00:00:00Z') });
    expect(period(c, 2)).toEqual({ start: at('2025-03-01T00:00:00Z'), end: at('2025-04-01T00:00:00Z') });
  });

  it('refuses an anchor before the start and negative indexes', () => {
    expect(() => periodBoundary(cycle({ start: 1000, anchor: 999 }), 1)).toThrow(RangeError);
    expect(() => periodBoundary(cycle({ start: 1000 }), -1)).toThrow(RangeError);
  });

  it('grows strictly from one boundary to the next', () => {
    fc.assert(
      fc.property(billingCycle, fc.integer({ min: 0, max: 200 }), (c, k) => {
        expect(periodBoundary(c, k + 1)).toBeGreaterThan(periodBoundary(c, k));
      }),
    );
  });

  it("lands each monthly boundary on the anchor's day, or the month's last day when shorter", () => {
    fc.assert(
      fc.property(moment, fc.integer({ min: 1, max: 36 }), fc.integer({ min: 1, max: 300 }), (anchor, count, k) => {
        const boundary = periodBoundary(cycle({ start: anchor, intervalCount: count }), k);
        const anchorDay = new Date(anchor * 1000).getUTCDate();
        expect(new Date(boundary * 1000).getUTCDate()).toBe(Math.min(anchorDay, daysInMonth(boundary)));
        expect(boundary % DAY).toBe(anchor % DAY);
      }),
    );
  });
});

describe('prorationFactor', () => {
  it('is the share of the full period before the anchor for a partial first period', () => {
    const c = cycle({ start: at('2025-01-10T00:00:00Z'), anchor: at('2025-02-01T00:00:00Z') });
    // The full period ending at the anchor is January: 31 days, of which 22 are billed.
    expect(prorationFactor(c, 0).eq(new Money(22).dividedBy(31))).toBe(true);
    expect(prorationFactor(c, 1).toFixed()).toBe('1');
  });

  it('is 1 for every period of a cycle anchored at its start', () => {
    const c = cycle({ start: at('2025-01-10T00:00:00Z'), interval: 'year' });
    expect(prorationFactor(c, 0).toFixed()).toBe('1');
    expect(prorationFactor(c, 7).toFixed()).toBe('1');
  });

  it('lies in (0, 1] when the anchor falls within one interval of the start', () => {
    fc.assert(
      fc.property(billingCycle, (c) => {
        const factor = prorationFactor(c, 0);
        expect(factor.gt(0) && factor.lte(1)).toBe(true);
      }),
    );
  });
});

describe('periodIndexAt', () => {
  it('finds the period containing a time', () => {
    const c = cycle({ start: at('2025-01-31T00:00:00Z') });
    expect(periodIndexAt(c, at('2025-01-31T00:00:00Z'))).toBe(0);
    expect(periodIndexAt(c, at('2025-02-27T23:59:59Z'))).toBe(0);
    expect(periodIndexAt(c, at('2025-02-28T00:00:00Z'))).toBe(1);
    expect(periodIndexAt(c, at('2025-03-30T23:59:59Z'))).toBe(1);
    expect(periodIndexAt(c, at('2025-03-31T00:00:00Z'))).toBe(2);
  });

  it('places times before a future anchor in period 0', () => {
    const c = cycle({ start: at('2025-01-10T00:00:00Z'), anchor: at('2025-02-01T00:00:00Z') });
    expect(periodIndexAt(c, at('2025-01-31T23:59:59Z'))).toBe(0);
    expect(periodIndexAt(c, at('2025-02-01T00:00:00Z'))).toBe(1);
    expect(periodIndexAt(c, at('2025-03-01T00:00:00Z'))).toBe(2);
  });

  it('answers for long daily histories without walking them', () => {
    const c = cycle({ start: at('2000-01-01T00:00:00Z'), interval: 'day' });
    expect(periodIndexAt(c, at('2030-01-01T12:00:00Z'))).toBe(10_958);
  });

  it('refuses a time before the start', () => {
    expect(() => periodIndexAt(cycle({ start: 1000 }), 999)).toThrow(RangeError);
  });

  it('maps the first and last second of every period to its index', () => {
    fc.assert(
      fc.property(billingCycle, fc.integer({ min: 0, max: 500 }), (c, k) => {
        expect(periodIndexAt(c, periodBoundary(c, k))).toBe(k);
        expect(periodIndexAt(c, periodBoundary(c, k + 1) - 1)).toBe(k);
      }),
    );
  });
});

describe('isValidIntervalCount', () => {
  it('allows at most three years per interval, as Stripe does', () => {
    expect(isValidIntervalCount('day', 1095)).toBe(true);
    expect(isValidIntervalCount('day', 1096)).toBe(false);
    expect(isValidIntervalCount('week', 156)).toBe(true);
    expect(isValidIntervalCount('week', 157)).toBe(false);
    expect(isValidIntervalCount('month', 36)).toBe(true);
    expect(isValidIntervalCount('month', 37)).toBe(false);
    expect(isValidIntervalCount('year', 3)).toBe(true);
    expect(isValidIntervalCount('year', 4)).toBe(false);
  });

  it('requires a positive whole number', () => {
    expect(isValidIntervalCount('month', 0)).toBe(false);
    expect(isValidIntervalCount('month', -1)).toBe(false);
    expect(isValidIntervalCount('month', 1.5)).toBe(false);
    expect(isValidIntervalCount('month', Number.NaN)).toBe(false);
  });
});
