import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { inject } from 'vitest';
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

/** A Stripe SDK client for a local stack. */
export function stripeFor(url: string, key: string): Stripe {
  const { hostname, port } = new URL(url);
  return new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}

/**
 * A local stack on the emulators started by global setup, under a fresh name prefix, with a
 * secret key and an SDK client. Stop it in afterAll.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  useLocalCredentials();
  const stack = await startLocalStack({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    prefix: `t${randomBytes(4).toString('hex')}`,
    ...options,
  });
  const now = Math.floor(stack.services.nowMs() / 1000);
  const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'test', livemode: false, now });
  return { ...stack, secretKey: secret, stripe: stripeFor(stack.url, secret), client: (key) => stripeFor(stack.url, key) };
}
