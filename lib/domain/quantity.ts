import Decimal from 'decimal.js';

/**
 * Meter event values and usage quantities: exact decimals, never binary floats. DynamoDB numbers
 * hold 38 significant digits, so sums of 15-digit values stay exact in storage too.
 */
export const Quantity = Decimal.clone({ precision: 38, rounding: Decimal.ROUND_HALF_UP });
export type Quantity = Decimal;

const DECIMAL_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
export const MAX_SIGNIFICANT_DIGITS = 15;

/**
 * Parses a meter event value; undefined when it is not a decimal of at most 15 significant digits
 * and 15 decimal places (so that sums of values stay within DynamoDB's 38 digits).
 */
export function parseEventValue(raw: string): Quantity | undefined {
  const text = raw.trim();
  if (!DECIMAL_PATTERN.test(text)) return undefined;
  let value: Quantity;
  try {
    value = new Quantity(text);
  } catch {
    // An exponent beyond what decimal.js represents ('1e99999999999999999').
    return undefined;
  }
  if (!value.isFinite()) return undefined;
  if (value.isZero()) return value;
  return value.precision(true) <= MAX_SIGNIFICANT_DIGITS && value.decimalPlaces() <= MAX_SIGNIFICANT_DIGITS ? value : undefined;
}

/** Canonical text of a quantity, as stored and returned (no exponent, no trailing zeros). */
export function formatQuantity(q: Quantity): string {
  return q.toFixed();
}
