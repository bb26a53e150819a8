import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combinationId, combinationKey, dimensionsOf, groupOf, matchesFilters, parseCombinationKey } from '../../lib/domain/dimensions';
import { groupUsage, selectUsage } from '../../lib/metering/dimension-usage';
import { aggregate } from '../../lib/metering/summarize-usage';
import type { UsageHour } from '../../lib/metering/usage-reads';
import { Quantity } from '../../lib/domain/quantity';

const hour = (hourStart: number, combinations: [Record<string, string>, [number, string][]][]): UsageHour => {
  const totals = new Map<number, Quantity>();
  for (const [, minutes] of combinations) for (const [m, v] of minutes) totals.set(m, (totals.get(m) ?? new Quantity(0)).plus(v));
  return {
    hourStart,
    minutes: new Map([...totals].map(([m, q]) => [m, q.toFixed()])),
    lastAt: new Map(),
    combinations: combinations.map(([dimensions, minutes]) => ({ dimensions: dimensionsOf(Object.entries(dimensions)), minutes: new Map(minutes), lastAt: new Map() })),
  };
};

describe('combinations of dimension values', () => {
  it('have one canonical key whatever the order of their entries, and a short stable id', () => {
    const a = combinationKey({ model: 'large', token_type: 'input' });
    expect(combinationKey({ token_type: 'input', model: 'large' })).toBe(a);
    expect(parseCombinationKey(a)).toEqual({ model: 'large', token_type: 'input' });
    expect(combinationId(a)).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(combinationId(a)).toBe(combinationId(combinationKey({ token_type: 'input', model: 'large' })));
    expect(combinationId(a)).not.toBe(combinationId(combinationKey({ model: 'large' })));
  });

  it('treat keys named like Object members as plain keys', () => {
    const hostile = dimensionsOf([['constructor', 'x'], ['__proto__', 'y']]);
    expect(Object.keys(hostile).sort()).toEqual(['__proto__', 'constructor']);
    expect(parseCombinationKey(combinationKey(hostile))).toEqual(hostile);
    expect(matchesFilters({}, dimensionsOf([['constructor', 'x']]))).toBe(false);
    expect(matchesFilters(hostile, dimensionsOf([['constructor', 'x']]))).toBe(true);
    expect(groupOf({ model: 'a' }, ['constructor', 'toString', 'model'])).toEqual({ model: 'a' });
  });

  it('round-trip any values through their canonical key (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 100 }), { maxKeys: 10 }), (raw) => {
        const dimensions = dimensionsOf(Object.entries(raw));
        expect(parseCombinationKey(combinationKey(dimensions))).toEqual(dimensions);
      }),
    );
  });
});

describe('usage by dimension values', () => {
  const hours = [
    hour(0, [
      [{ model: 'a', token_type: 'in' }, [[0, '1.5'], [30, '2']]],
      [{ model: 'b', token_type: 'in' }, [[30, '10']]],
      [{ token_type: 'out' }, [[59, '0.25']]],
    ]),
    hour(3600, [[{ model: 'a', token_type: 'out' }, [[1, '4']]]]),
  ];

  it('groups, filters and selects exactly, and the groups add up to the meter total', () => {
    const byModel = groupUsage('sum', hours, {}, ['model']);
    expect(byModel.map((g) => [g.dimensions, aggregate('sum', g.hours, 0, 7200).toFixed()])).toEqual([
      [{ model: 'a' }, '7.5'],
      [{ model: 'b' }, '10'],
      [{}, '0.25'],
    ]);
    const total = byModel.reduce((sum, g) => sum.plus(aggregate('sum', g.hours, 0, 7200)), new Quantity(0));
    expect(total.toFixed()).toBe(aggregate('sum', hours, 0, 7200).toFixed());
    const inputs = groupUsage('sum', hours, { token_type: 'in' }, []);
    expect(inputs.map((g) => aggregate('sum', g.hours, 0, 7200).toFixed())).toEqual(['13.5']);
    // A minute-aligned range cuts the hour per combination too.
    expect(aggregate('sum', groupUsage('sum', hours, { model: 'a' }, [])[0]!.hours, 0, 1800).toFixed()).toBe('1.5');
    const unmatched = selectUsage('sum', hours, (d) => !matchesFilters(d, { model: 'a' }) && !matchesFilters(d, { model: 'b' }));
    expect(aggregate('sum', unmatched, 0, 7200).toFixed()).toBe('0.25');
  });

  it('keeps the latest value of a group of last-meter combinations', () => {
    const last: UsageHour = {
      hourStart: 0,
      minutes: new Map([[5, '9']]),
      lastAt: new Map([[5, [310, 'b']]]),
      combinations: [
        { dimensions: { model: 'x', region: 'eu' }, minutes: new Map([[5, '3']]), lastAt: new Map([[5, [300, 'a']]]) },
        { dimensions: { model: 'x', region: 'us' }, minutes: new Map([[5, '9']]), lastAt: new Map([[5, [310, 'b']]]) },
      ],
    };
    const [group] = groupUsage('last', [last], {}, ['model']);
    expect(aggregate('last', group!.hours, 0, 3600).toFixed()).toBe('9');
  });
});
