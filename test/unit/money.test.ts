import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money, formatAmountDecimal, parseAmountDecimal, roundToMinorUnit } from '../../lib/domain/money';

/** A decimal string with up to 12 decimal places, possibly negative. */
const decimalText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.integer({ min: 0, max: 12 }))
  .map(([negative, digits, scale]) => {
    const padded = digits.toString().padStart(scale + 1, '0');
    const text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
    return negative ? `-${text}` : text;
  });

describe('roundToMinorUnit', () => {
  it('rounds half a minor unit up', () => {
    expect(roundToMinorUnit(new Money('0.5'))).toBe(1);
    expect(roundToMinorUnit(new Money('2.5'))).toBe(3);
    expect(roundToMinorUnit(new Money('1.499999999999'))).toBe(1);
    expect(roundToMinorUnit(new Money('12.345'))).toBe(12);
    expect(roundToMinorUnit(new Money('99.500000000001'))).toBe(100);
  });

  it('rounds negative halves away from zero and never returns -0', () => {
    expect(roundToMinorUnit(new Money('-0.5'))).toBe(-1);
    expect(roundToMinorUnit(new Money('-2.5'))).toBe(-3);
    expect(Object.is(roundToMinorUnit(new Money('-0.4')), 0)).toBe(true);
  });

  it('refuses amounts beyond a safe integer', () => {
    expect(roundToMinorUnit(new Money('9007199254740991'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => roundToMinorUnit(new Money('9007199254740992'))).toThrow(RangeError);
  });

  it('is never more than half a minor unit from the exact amount', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const exact = new Money(text);
        const rounded = roundToMinorUnit(exact);
        expect(Number.isInteger(rounded)).toBe(true);
        expect(exact.minus(rounded).abs().lte('0.5')).toBe(true);
      }),
    );
  });
});

describe('parseAmountDecimal', () => {
  it('accepts non-negative decimals with at most 12 decimal places', () => {
    expect(parseAmountDecimal('1000')?.toFixed()).toBe('1000');
    expect(parseAmountDecimal('0.5')?.toFixed()).toBe('0.5');
    expect(parseAmountDecimal('0.000000000001')?.toFixed()).toBe('0.000000000001');
    expect(parseAmountDecimal('12345678901234567890.123456789012')?.toFixed()).toBe('12345678901234567890.123456789012');
  });

  it('rejects 13 decimal places, negatives, exponents and garbage', () => {
    for (const text of ['0.0000000000001', '-1', '-0.5', '1e3', '1E-2', '', ' 1', '1 ', '.5', '5.', '+5', 'abc', '1,5', 'NaN', 'Infinity', '0x10', '123456789012345678901']) {
      expect(parseAmountDecimal(text), text).toBeUndefined();
    }
  });
});

describe('formatAmountDecimal', () => {
  it('writes canonical text without exponent or trailing zeros', () => {
    expect(formatAmountDecimal(new Money('1000'))).toBe('1000');
    expect(formatAmountDecimal(new Money('0.50'))).toBe('0.5');
    expect(formatAmountDecimal(new Money('1e-12'))).toBe('0.000000000001');
    expect(formatAmountDecimal(new Money('1e21'))).toBe('1000000000000000000000');
  });

  it('reads back what parseAmountDecimal accepted', () => {
    fc.assert(
      fc.property(decimalText.filter((t) => !t.startsWith('-')), (text) => {
        const parsed = parseAmountDecimal(text);
        expect(parsed && parseAmountDecimal(formatAmountDecimal(parsed))?.eq(parsed)).toBe(true);
      }),
    );
  });
});
