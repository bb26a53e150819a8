import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { deployedStack, useStack, type TestStack } from '../support/stack';

/**
 * The smoke test runs against the local test stack, or against a deployed stack when
 * METERLINE_API_URL and METERLINE_API_KEY are set (`npm run test:deployed`). A deployed stack
 * counts meter events asynchronously (API -> SQS -> consumer), so the test polls the summaries
 * until the value appears; locally it drains the queue first.
 */
const deployed = deployedStack();

/** How long a deployed stack may take to count an event: a cold start or two and a batching window. */
const DEPLOYED_DEADLINE_MS = 90_000;
const POLL_INTERVAL_MS = 2_000;

describe(deployed ? `the deployed stack at ${deployed.url}` : 'the local stack', () => {
  const { stack, stripe }: { stack?: TestStack; stripe: Stripe } = deployed ? { stripe: deployed.stripe } : useStack();

  /** Calls `read` until `done` accepts its result (once for the local stack, which was drained). */
  const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + (deployed ? DEPLOYED_DEADLINE_MS : 0);
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() >= deadline) return value;
      await sleep(POLL_INTERVAL_MS);
    }
  };

  it('records a v1 meter event and summarizes it through the stripe SDK', async () => {
    // A deployed stack keeps what earlier runs made: a fresh event name each run.
    const eventName = `tokens_smoke_${randomBytes(4).toString('hex')}`;
    const customer = await stripe.customers.create({ email: 'ada@example.com' });
    const meter = await stripe.billing.meters.create({
      display_name: 'Tokens',
      event_name: eventName,
      default_aggregation: { formula: 'sum' },
    });
    const now = Math.floor(Date.now() / 1000);
    await stripe.billing.meterEvents.create({
      event_name: eventName,
      payload: { stripe_customer_id: customer.id, value: '2.25' },
      timestamp: now,
    });
    if (stack) expect(await stack.drain()).toBe(true);

    const start = Math.floor(now / 60) * 60;
    // Until the consumer has counted the event, the minute's summary says 0.
    const values = await eventually(
      async () =>
        (await stripe.billing.meters.listEventSummaries(meter.id, { customer: customer.id, start_time: start, end_time: start + 60 }))
          .data.map((s) => s.aggregated_value),
      (seen) => seen.length === 1 && seen[0] === 2.25,
    );
    expect(values).toEqual([2.25]);
    if (deployed) await stripe.billing.meters.deactivate(meter.id);
  }, deployed ? DEPLOYED_DEADLINE_MS + 30_000 : 60_000);
});
