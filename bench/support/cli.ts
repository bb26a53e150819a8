/** What the bench scripts share: numbers from the environment, lines on stdout, an SDK client for the local stack. */
import Stripe from 'stripe';

function readEnv(name: string, fallback: number, valid: (value: number) => boolean, kind: string): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!valid(value) || value < 0) throw new Error(`${name} must be a non-negative ${kind}, got '${raw}'`);
  return value;
}

/** A non-negative number from the environment; `fallback` when unset or empty. */
export const numberEnv = (name: string, fallback: number) => readEnv(name, fallback, Number.isFinite, 'number');

/** A non-negative integer from the environment; `fallback` when unset or empty. */
export const intEnv = (name: string, fallback: number) => readEnv(name, fallback, Number.isInteger, 'integer');

export const log = (line = '') => process.stdout.write(`${line}\n`);

/** A number in en-US notation with exactly `digits` decimals. */
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The Stripe SDK pointed at the local stack's gateway (`url`), authenticated with `key`. */
export function localStripe(key: string, url: string): Stripe {
  const { hostname, port } = new URL(url);
  return new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 2, telemetry: false });
}
