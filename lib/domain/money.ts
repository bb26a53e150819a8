import Decimal from 'decimal.js';

/**
 * Money: amounts are integers of a currency's minor unit (cents; yen for JPY). Prices may carry
 * fractions of a minor unit (`unit_amount_decimal`), so computations use exact decimals and
 * round once per invoice line, half up.
 */
export const Money = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Money = Decimal;

/** ISO 4217 codes (lowercase, as Stripe writes them) that this runtime knows. */
const isoCurrencies = new Set(Intl.supportedValuesOf('currency').map((code) => code.toLowerCase()));

/** Currencies whose minor unit is the major unit (Stripe's zero-decimal list). */
export const zeroDecimalCurrencies: ReadonlySet<string> = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);

/** True for a lowercase three-letter ISO 4217 currency code. */
export function isCurrency(code: string): boolean {
  return /^[a-z]{3}$/.test(code) && isoCurrencies.has(code);
}

/** Decimal places of the major unit that one minor unit stands for (0 for JPY, 2 for USD). */
export function minorUnitExponent(currency: string): number {
  return zeroDecimalCurrencies.has(currency) ? 0 : 2;
}
