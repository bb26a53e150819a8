import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money, roundToMinorUnit } from '../../lib/domain/money';
import { Quantity } from '../../lib/domain/quantity';
import { priceAmount, pricingModel, type PriceTier, type PricingTerms } from '../../lib/domain/pricing';

function perUnit(unit: string, transform: PricingTerms['transform_quantity'] = null): PricingTerms {
  return { billing_scheme: 'per_unit', unit_amount_decimal: unit, tiers_mode: null, tiers: null, transform_quantity: transform };
}

function tiered(mode: 'graduated' | 'volume', tiers: PriceTier[]): PricingTerms {
  return { billing_scheme: 'tiered', unit_amount_decimal: null, tiers_mode: mode, tiers, transform_quantity: null };
}

function tier(up_to: number | null, unit: string | null, flat: string | null = null): PriceTier {
  return { up_to, unit_amount_decimal: unit, flat_amount_decimal: flat };
}

const q = (text: string | number) => new Quantity(text);
const amount = (terms: PricingTerms, quantity: string | number) => priceAmount(terms, q(quantity)).toFixed();

/** Stripe's Typographic example: fonts 1-5 at 7 USD, 6-10 at 6.50 USD, 11+ at 6 USD. */
const typographic = [tier(5, '700'), tier(10, '650'), tier(null, '600')];

/** A decimal text with up to `maxScale` decimal places, below 10^(intDigits). */
const decimalText = (maxDigits: bigint, maxScale: number) =>
  fc.tuple(fc.bigInt({ min: 0n, max: maxDigits }), fc.integer({ min: 0, max: maxScale })).map(([digits, scale]) => {
    const padded = digits.toString().padStart(scale + 1, '0');
    return scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  });
const unitAmount = decimalText(10n ** 8n, 12);
const quantity = decimalText(10n ** 8n, 4).map((text) => new Quantity(text));
const tierList = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 5 }),
    fc.array(fc.tuple(unitAmount, fc.option(unitAmount)), { minLength: 6, maxLength: 6 }),
  )
  .map(([bounds, prices]) =>
    [...bounds.sort((a, b) => a - b), null].map((upTo, i) => {
      const [unit, flat] = prices[i] ?? ['0', null];
      return tier(upTo, unit, flat);
    }),
  );
const termsOfEveryModel = fc.oneof(
  unitAmount.map((unit) => perUnit(unit)),
  fc.tuple(unitAmount, fc.integer({ min: 1, max: 1000 }), fc.constantFrom('up' as const, 'down' as const)).map(([unit, divideBy, round]) =>
    perUnit(unit, { divide_by: divideBy, round }),
  ),
  tierList.map((tiers) => tiered('graduated', tiers)),
  tierList.map((tiers) => tiered('volume', tiers)),
);

describe('per-unit pricing', () => {
  it('charges the quantity times the unit amount, exactly', () => {
    expect(amount(perUnit('25'), 4)).toBe('100');
    expect(amount(perUnit('0.000000000001'), '12.5')).toBe('0.0000000000125');
    expect(amount(perUnit('0.3'), '0.1')).toBe('0.03');
  });

  it('shows the quantity on the line', () => {
    expect(pricingModel(perUnit('25')).billedQuantity(q('12.5')).toFixed()).toBe('12.5');
  });
});

describe('package pricing', () => {
  const carRental = (round: 'up' | 'down') => perUnit('1000', { divide_by: 60, round });

  it('charges each started package when rounding up (Stripe: 150 minutes at 10 USD per hour is 30 USD)', () => {
    expect(amount(carRental('up'), 150)).toBe('3000');
    expect(amount(carRental('up'), 60)).toBe('1000');
    expect(amount(carRental('up'), '60.001')).toBe('2000');
    expect(amount(carRental('up'), 0)).toBe('0');
  });

  it('charges only complete packages when rounding down', () => {
    expect(amount(carRental('down'), 150)).toBe('2000');
    expect(amount(carRental('down'), '59.999')).toBe('0');
  });

  it('shows the untransformed usage on the line, as Stripe does', () => {
    expect(pricingModel(carRental('up')).billedQuantity(q(150)).toFixed()).toBe('150');
  });

  it('equals the rounded number of packages times the unit amount', () => {
    fc.assert(
      fc.property(unitAmount, fc.integer({ min: 1, max: 1000 }), fc.constantFrom('up' as const, 'down' as const), quantity, (unit, divideBy, round, usage) => {
        const packages = new Money(usage).dividedBy(divideBy)[round === 'up' ? 'ceil' : 'floor']();
        expect(priceAmount(perUnit(unit, { divide_by: divideBy, round }), usage).eq(packages.times(unit))).toBe(true);
      }),
    );
  });
});

describe('graduated pricing', () => {
  const graduated = tiered('graduated', typographic);

  it('charges each tier for the units inside it (Stripe Typographic example)', () => {
    expect(amount(graduated, 1)).toBe('700');
    expect(amount(graduated, 5)).toBe('3500');
    expect(amount(graduated, 6)).toBe('4150');
    expect(amount(graduated, 20)).toBe('12750');
    expect(amount(graduated, 25)).toBe('15750');
  });

  it('puts a fractional quantity past a bound into the next tier', () => {
    expect(amount(graduated, '5.5')).toBe('3825');
    expect(amount(graduated, '10.5')).toBe('7050');
  });

  it('adds the flat amount of each tier that some quantity reaches', () => {
    const withFlats = tiered('graduated', [tier(10, '0', '500'), tier(20, '100', '200'), tier(null, '10', '50')]);
    expect(amount(withFlats, 10)).toBe('500');
    expect(amount(withFlats, '10.5')).toBe('750');
    expect(amount(withFlats, 20)).toBe('1700');
    expect(amount(withFlats, 21)).toBe('1760');
  });

  it('bills the first tier flat amount at quantity 0, as a base fee', () => {
    const baseFee = tiered('graduated', [tier(1000, '0', '20000'), tier(null, '4')]);
    expect(amount(baseFee, 0)).toBe('20000');
    expect(amount(baseFee, 1001)).toBe('20004');
  });

  it('equals the sum over tiers of the units inside each tier plus the flat amounts reached', () => {
    fc.assert(
      fc.property(tierList, quantity, (tiers, usage) => {
        let expected = new Money(0);
        tiers.forEach((t, i) => {
          const lower = new Money(tiers[i - 1]?.up_to ?? 0);
          const upper = t.up_to === null ? new Money(usage) : Money.min(usage, t.up_to);
          if (i > 0 && new Money(usage).lte(lower)) return;
          expected = expected.plus(upper.minus(lower).times(t.unit_amount_decimal ?? 0)).plus(t.flat_amount_decimal ?? 0);
        });
        expect(priceAmount(tiered('graduated', tiers), usage).toFixed()).toBe(expected.toFixed());
      }),
    );
  });

  it('never charges less for more usage', () => {
    fc.assert(
      fc.property(tierList, quantity, quantity, (tiers, a, b) => {
        const [less, more] = a.lte(b) ? [a, b] : [b, a];
        const model = pricingModel(tiered('graduated', tiers));
        expect(model.amount(less).lte(model.amount(more))).toBe(true);
      }),
    );
  });
});

describe('volume pricing', () => {
  const volume = tiered('volume', typographic);

  it('prices the whole quantity at the tier that contains it (Stripe Typographic example)', () => {
    expect(amount(volume, 1)).toBe('700');
    expect(amount(volume, 5)).toBe('3500');
    expect(amount(volume, 6)).toBe('3900');
    expect(amount(volume, 20)).toBe('12000');
    expect(amount(volume, 25)).toBe('15000');
  });

  it('puts a fractional quantity past a bound into the next tier', () => {
    expect(amount(volume, '5.5')).toBe('3575');
  });

  it('adds the containing tier flat amount, including the first tier at quantity 0', () => {
    const withFlats = tiered('volume', [tier(10, '100', '1000'), tier(null, '50', '3000')]);
    expect(amount(withFlats, 0)).toBe('1000');
    expect(amount(withFlats, 10)).toBe('2000');
    expect(amount(withFlats, 11)).toBe('3550');
  });

  it("equals the quantity times the containing tier's unit amount plus its flat amount", () => {
    fc.assert(
      fc.property(tierList, quantity, (tiers, usage) => {
        const containing = tiers.find((t) => t.up_to === null || usage.lte(t.up_to));
        const expected = new Money(usage).times(containing?.unit_amount_decimal ?? 0).plus(containing?.flat_amount_decimal ?? 0);
        expect(priceAmount(tiered('volume', tiers), usage).eq(expected)).toBe(true);
      }),
    );
  });
});

describe('priceAmount', () => {
  it('bills a negative quantity as quantity 0', () => {
    expect(amount(perUnit('25'), -4)).toBe('0');
    expect(amount(perUnit('25', { divide_by: 10, round: 'up' }), '-0.5')).toBe('0');
    expect(pricingModel(perUnit('25')).billedQuantity(q(-4)).toFixed()).toBe('0');
    fc.assert(
      fc.property(termsOfEveryModel, quantity.filter((x) => !x.isZero()), (terms, usage) => {
        expect(priceAmount(terms, usage.negated()).eq(priceAmount(terms, q(0)))).toBe(true);
      }),
    );
  });

  it('never charges less for more usage at a per-unit price', () => {
    fc.assert(
      fc.property(unitAmount, quantity, quantity, (unit, a, b) => {
        const [less, more] = a.lte(b) ? [a, b] : [b, a];
        expect(priceAmount(perUnit(unit), less).lte(priceAmount(perUnit(unit), more))).toBe(true);
      }),
    );
  });

  it('rounds a line to within half a minor unit of its exact amount, and refuses one too large to be exact', () => {
    fc.assert(
      fc.property(termsOfEveryModel, quantity, (terms, usage) => {
        const exact = priceAmount(terms, usage);
        if (exact.round().gt(Number.MAX_SAFE_INTEGER)) {
          expect(() => roundToMinorUnit(exact)).toThrow(RangeError);
          return;
        }
        expect(exact.minus(roundToMinorUnit(exact)).abs().lte('0.5')).toBe(true);
      }),
    );
  });
});

describe('pricingModel', () => {
  it('refuses terms no price can have', () => {
    expect(() => pricingModel(tiered('graduated', []))).toThrow('without tiers');
    expect(() => pricingModel({ ...tiered('volume', typographic), tiers: null })).toThrow('without tiers');
    expect(() => pricingModel({ ...tiered('volume', typographic), tiers_mode: null })).toThrow('tiers_mode');
    expect(() => pricingModel(perUnit('-1'))).toThrow('not an amount');
    expect(() => pricingModel({ ...perUnit('1'), unit_amount_decimal: null })).toThrow('not an amount');
    expect(() => pricingModel(perUnit('1', { divide_by: 0, round: 'up' }))).toThrow('divide_by');
  });
});
