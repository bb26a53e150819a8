import { randomBytes } from 'node:crypto';

/** Stripe's object id prefixes. */
export const idPrefixes = {
  customer: 'cus',
  meter: 'mtr',
  meterEventSession: 'mes',
  meterEventAdjustment: 'mea',
  errorReport: 'evt',
  apiKey: 'key',
  event: 'evt',
} as const;

export type IdKind = keyof typeof idPrefixes;

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string of `length` characters (uniform: 62^length possibilities). */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting bytes above it keeps every character equally likely.
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

/** A new object id such as `cus_4Xq...`, 24 random characters after the prefix. */
export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${randomToken(24)}`;
}

/** True when `id` has the prefix of `kind`. */
export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${idPrefixes[kind]}_`);
}
