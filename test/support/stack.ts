import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, inject, it as base } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../lib/local/stack';
import { useLocalCredentials } from '../../lib/local/emulators';

export interface TestStack extends LocalStack {
  /** A secret key registered for this stack. */
  secretKey: string;
  /** The official SDK pointed at this stack with `secretKey`. */
  stripe: Stripe;
  /** An SDK client for another key (restricted keys, sessions). */
  client(key: string): Stripe;
}

/**
 * How long fault tests wait for the queues to drain. A deadline for catching a stuck stack, not a
 * speed goal: on a loaded 2-core CI machine a racing or crashed consumer may run out of time and
 * wait out a visibility timeout or two before its batch succeeds (a 30 s deadline failed there).
 * Tests that use it take `FAULT_TEST_TIMEOUT_MS`.
 */
export const DRAIN_DEADLINE_MS = 120_000;
export const FAULT_TEST_TIMEOUT_MS = 300_000;

/**
 * A Stripe SDK client for a stack's base URL: a local stack (http) or a deployed one (https, the
 * API's or the console's URL). The SDK has no base path, so the URL must be an origin.
 */
export function stripeFor(url: string, key: string, { maxNetworkRetries = 0 } = {}): Stripe {
  const { hostname, port, protocol, pathname, search } = new URL(url);
  if (pathname !== '/' || search) throw new Error(`The stripe SDK needs a base URL without a path, got ${url}`);
  const https = protocol === 'https:';
  return new Stripe(key, {
    host: hostname,
    port: port ? Number(port) : https ? 443 : 80,
    protocol: https ? 'https' : 'http',
    maxNetworkRetries,
    telemetry: false,
  });
}

/** A deployed stack to test, from `METERLINE_API_URL` and `METERLINE_API_KEY`. */
export interface DeployedStack {
  readonly url: string;
  /** The official SDK pointed at the stack with the key (it retries as a client of AWS would). */
  readonly stripe: Stripe;
}

/**
 * The deployed stack `METERLINE_API_URL` (its `ApiUrl` or `ConsoleUrl` output) and
 * `METERLINE_API_KEY` (a secret test key from `npm run keys -- create`) name; undefined when
 * neither is set. The tests that accept one run against it instead of a local stack.
 */
export function deployedStack(): DeployedStack | undefined {
  const url = process.env.METERLINE_API_URL;
  const key = process.env.METERLINE_API_KEY;
  if (!url && !key) return undefined;
  if (!url || !key) {
    throw new Error('Set both METERLINE_API_URL and METERLINE_API_KEY (a key from `npm run keys -- create`) to test a deployed stack');
  }
  return { url, stripe: stripeFor(url, key, { maxNetworkRetries: 2 }) };
}

/**
 * A local stack on the emulators started by global setup, under a fresh name prefix, with a
 * secret key and an SDK client. The caller stops it; tests use `useStack` or `startStack` instead.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  useLocalCredentials();
  const stack = await startLocalStack({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    prefix: `t${randomBytes(4).toString('hex')}`,
    // Only the suites that check the usage rollups (or the screens that show them) turn it on: see LocalStackOptions.usageRollup.
    usageRollup: false,
    ...options,
  });
  const now = Math.floor(stack.services.nowMs() / 1000);
  const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'test', livemode: false, now });
  return { ...stack, secretKey: secret, stripe: stripeFor(stack.url, secret), client: (key) => stripeFor(stack.url, key) };
}

/**
 * The stack a test file (or one describe block) shares: started with `options` before its first
 * test, stopped after its last (one beforeAll and one afterAll). `stack` and `stripe` can be
 * named where the suite is declared: from the first hook on they stand for the running stack and
 * its SDK client; reading them before then throws.
 */
export function useStack(options: LocalStackOptions = {}): { stack: TestStack; stripe: Stripe } {
  const stack = lateBound<TestStack>('stack');
  const stripe = lateBound<Stripe>('stripe');
  beforeAll(async () => {
    const started = await startTestStack(options);
    stack.bind(started);
    stripe.bind(started.stripe);
  });
  afterAll(async () => {
    await stack.bound?.stop();
  });
  return { stack: stack.proxy, stripe: stripe.proxy };
}

/** Starts a stack of the test's own, stopped when the test ends. */
export type StartStack = (options?: LocalStackOptions) => Promise<TestStack>;

/**
 * `it` with a `startStack` fixture, for tests that need a stack of their own (fault injection,
 * another clock or configuration): every stack a test starts is stopped when the test ends.
 */
export const it = base.extend('startStack', async ({}, { onCleanup }) => {
  const started: TestStack[] = [];
  onCleanup(async () => {
    for (const stack of started.splice(0)) await stack.stop();
  });
  const startStack: StartStack = async (options = {}) => {
    const stack = await startTestStack(options);
    started.push(stack);
    return stack;
  };
  return startStack;
});

/** A stand-in for a value that exists only once a hook has made it: every use is forwarded to it. */
function lateBound<T extends object>(name: string) {
  let bound: T | undefined;
  const target = (property: PropertyKey): T => {
    if (bound) return bound;
    throw new Error(`useStack: \`${name}.${String(property)}\` was read before the stack started (use it in tests and hooks, not where the suite is declared)`);
  };
  const proxy = new Proxy({} as T, {
    get: (_, property) => {
      // Awaiting or printing the stand-in before the start must not throw.
      if (!bound && (property === 'then' || typeof property === 'symbol')) return undefined;
      return Reflect.get(target(property), property);
    },
    set: (_, property, value) => Reflect.set(target(property), property, value),
    has: (_, property) => Reflect.has(target(property), property),
    ownKeys: () => Reflect.ownKeys(target('keys')),
    getOwnPropertyDescriptor: (_, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(property), property);
      // A proxy may only report a property its own target can have: a configurable one.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
  return {
    proxy,
    get bound() {
      return bound;
    },
    bind(value: T) {
      bound = value;
    },
  };
}
