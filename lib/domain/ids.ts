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
  product: 'prod',
  price: 'price',
  subscription: 'sub',
  subscriptionItem: 'si',
  invoice: 'in',
  invoiceLine: 'il',
  testClock: 'clock',
  creditGrant: 'credgr',
  creditBalanceTransaction: 'cbtxn',
  alert: 'alrt',
  webhookEndpoint: 'we',
  // Meterline: a delivery attempt of a webhook (Stripe shows them in its dashboard only).
  webhookAttempt: 'whatt',
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

let lastMs = 0;

/** Milliseconds as 8 base62 characters, so that ids sort by creation time. */
function timePart(nowMs: number): string {
  // Strictly increasing within a process, so ids created in the same millisecond keep their order.
  lastMs = Math.max(nowMs, lastMs + 1);
  let n = lastMs;
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = alphabet[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * A new object id such as `cus_0Qx9c4Z1...`: 8 characters of creation time, then 16 random
 * ones (95 bits), so objects created in the same second still list in creation order.
 */
export function newId(kind: IdKind, nowMs: number): string {
  return `${idPrefixes[kind]}_${timePart(nowMs)}${randomToken(16)}`;
}

/**
 * The milliseconds an id was created at (its time part), or undefined for an id not made by
 * `newId` (a custom product id). Ids made in one process keep their creation order.
 */
export function idTimeMs(id: string): number | undefined {
  const time = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 9);
  if (id.indexOf('_') < 0 || time.length !== 8) return undefined;
  let n = 0;
  for (const char of time) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) return undefined;
    n = n * 62 + digit;
  }
  return n;
}

/** True when `id` has the prefix of `kind`. */
export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${idPrefixes[kind]}_`);
}
