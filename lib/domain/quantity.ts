import Decimal from 'decimal.js';

/**
 * Meter event values and usage quantities: exact decimals, never binary floats. DynamoDB numbers
 * hold 38 significant digits, so sums of 15-digit values stay exact in storage too. (A value is
 * checked as text, event-value.ts, before anything adds it up.)
 */
export const Quantity = Decimal.clone({ precision: 38, rounding: Decimal.ROUND_HALF_UP });
export type Quantity = Decimal;

/** Canonical text of a quantity, as stored and returned (no exponent, no trailing zeros). */
export function formatQuantity(q: Quantity): string {
  return q.toFixed();
}
