/**
 * Meter event values as text: checked and written in canonical form by reading their digits, with
 * no decimal arithmetic, so the ingest function (which only validates values) carries no decimal
 * library. Whatever adds values up reads this text with Quantity (quantity.ts): it stays exact.
 */

/** A value has at most this many significant digits and decimal places (so sums stay within DynamoDB's 38 digits). */
export const MAX_SIGNIFICANT_DIGITS = 15;

/** Sign, integer digits, fraction digits and exponent; at least one digit before or after the point. */
const DECIMAL = /^([+-]?)(?=\.?\d)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The canonical text of a meter event value, as stored and returned: plain notation, no leading
 * or trailing zeros, no sign on zero ('+01.50' -> '1.5', '1e3' -> '1000', '-0.0' -> '0'). Undefined
 * when `raw` (spaces around it aside) is not a decimal of at most 15 significant digits (trailing
 * zeros of an integer count: '1e15' has 16) and 15 decimal places.
 */
export function eventValueText(raw: string): string | undefined {
  const match = DECIMAL.exec(raw.trim());
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  const first = digits.search(/[1-9]/);
  if (first === -1) return '0';
  let last = digits.length - 1;
  while (digits[last] === '0') last--;
  // The power of ten of the first significant digit; an exponent too long for a number is ±Infinity, and then refused below.
  const power = whole.length - 1 - first + Number(exponent);
  const significant = Math.max(last - first + 1, power + 1);
  const places = Math.max(0, last - first - power);
  if (!(significant <= MAX_SIGNIFICANT_DIGITS && places <= MAX_SIGNIFICANT_DIGITS)) return undefined;
  const mantissa = digits.slice(first, last + 1);
  const text =
    power >= 0
      ? mantissa.slice(0, power + 1).padEnd(power + 1, '0') + (mantissa.length > power + 1 ? `.${mantissa.slice(power + 1)}` : '')
      : `0.${'0'.repeat(-power - 1)}${mantissa}`;
  return sign === '-' ? `-${text}` : text;
}
