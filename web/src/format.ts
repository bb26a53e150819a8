/** Money, quantities and dates as the console shows them: one place for each. */

const fractionDigits = new Map<string, number>();

/** Minor-unit digits of a currency (USD 2, JPY 0, KWD 3), as Intl knows them. */
export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  let digits = fractionDigits.get(code);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    fractionDigits.set(code, digits);
  }
  return digits;
}

/** An amount in minor units, in its currency's format ("$12.34", "¥1,234"). */
export function money(minorUnits: number, currency: string, locale?: string): string {
  const digits = minorDigits(currency);
  // Exact: the minor units are an integer; only the decimal point moves.
  const negative = minorUnits < 0;
  const text = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  const major = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  const formatted = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    Number(major) as number,
  );
  return negative ? `-${formatted}` : formatted;
}

/** A unit price given as a decimal string of minor units ("0.05" cents is "$0.0005"), exact. */
export function unitPrice(minorDecimal: string | null | undefined, currency: string): string {
  if (minorDecimal === null || minorDecimal === undefined) return '—';
  const digits = minorDigits(currency);
  const [whole = '0', fraction = ''] = minorDecimal.replace(/^-/, '').split('.');
  const padded = whole.padStart(digits + 1, '0');
  const major = digits ? `${padded.slice(0, -digits)}.${padded.slice(-digits)}${fraction}` : `${padded}${fraction ? `.${fraction}` : ''}`;
  const trimmed = major.replace(/^0+(?=\d)/, '');
  return `${minorDecimal.startsWith('-') ? '-' : ''}${currency.toUpperCase()} ${trimmed}`;
}

/** A decimal quantity exactly as the API gives it, with thousands separators on its whole part. */
export function quantity(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const [whole = '0', fraction] = String(value).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** A Unix time in the browser's zone ("Mar 1, 2026, 09:30"). */
export function dateTime(unixSeconds: number | null | undefined, locale?: string, timeZone?: string): string {
  if (unixSeconds === null || unixSeconds === undefined) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(unixSeconds * 1000));
}

/** The same time in UTC, ISO 8601: what a hover shows. */
export function utc(unixSeconds: number | null | undefined): string {
  return unixSeconds === null || unixSeconds === undefined ? '' : `${new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z')} (UTC)`;
}

/** A period "Mar 1 – Apr 1, 2026". */
export function period(start: number, end: number, locale?: string, timeZone?: string): string {
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone });
  return `${f.format(new Date(start * 1000))} – ${f.format(new Date(end * 1000))}`;
}
