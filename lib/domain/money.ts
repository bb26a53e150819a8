import Decimal from 'decimal.js';

/**
 * Money: amounts are integers of a currency's minor unit (cents; yen for JPY, whose minor unit
 * is the major unit, so zero-decimal currencies need no rule of their own). Prices may carry
 * fractions of a minor unit (`unit_amount_decimal`), so computations use exact decimals and
 * round once per invoice line, half up.
 */
export const Money = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;

/** ISO 4217 codes (lowercase, as Stripe writes them) that this runtime knows. */
const isoCurrencies = new Set(Intl.supportedValuesOf('currency').map((code) => code.toLowerCase()));

/** True for a lowercase three-letter ISO 4217 currency code. */
export function isCurrency(code: string): boolean {
  return /^[a-z]{3}$/.test(code) && isoCurrencies.has(code);
}

/** Stripe's `*_amount_decimal`: a non-negative decimal in minor units, at most 12 decimal places. */
const AMOUNT_DECIMAL_PATTERN = /^\d{1,20}(\.\d{1,12})?$/;

/** Parses a `unit_amount_decimal` or `flat_amount_decimal`; undefined when it is not one. */
export function parseAmountDecimal(text: string): Money | undefined {
  return AMOUNT_DECIMAL_PATTERN.test(text) ? new Money(text) : undefined;
}

/** Canonical text of an amount in minor units: no exponent, no trailing zeros ("1000", "0.5"). */
export function formatAmountDecimal(m: Money): string {
  return m.toFixed();
}

/** An exact amount in minor units rounded to a whole minor unit, half away from zero (0.5 -> 1). */
export function roundToMinorUnit(amount: Money): number {
  const rounded = amount.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
  if (!Number.isSafeInteger(rounded)) throw new RangeError(`amount ${amount.toFixed()} is not a safe integer of minor units`);
  // -0.4 rounds to -0; invoices should never show "-0".
  return rounded === 0 ? 0 : rounded;
}
