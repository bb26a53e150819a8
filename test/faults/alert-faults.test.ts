import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect } from 'vitest';
import type Stripe from 'stripe';
import { it, type TestStack, DRAIN_DEADLINE_MS, FAULT_TEST_TIMEOUT_MS } from '../support/stack';
import { HOUR, iso, meterAndCustomer, streamClient, unique, usageOf } from '../fixtures/stripe';
import { triggersOf, usageAlert, type MeterlineAlert } from '../fixtures/alerts';
import { keysFor } from '../../lib/store/keys';

const keys = keysFor('test');
import type { QueueRecord } from '../../lib/metering/consume-meter-events';

/** Short consumer timeout (the queue's visibility timeout, 6x, and claim adoption follow it), long enough for a batch that races its twin on the same alert counters. */
const CONSUMER_TIMEOUT_MS = 3_000;
const CUSTOMERS = 3;
/** Per customer: 120 events of 1..5 over 30 hours (so a batch spans many hourly items and chunks). */
const EVENTS = 120;
const valueOf = (i: number) => (i % 5) + 1;
/** What each customer's events add up to. */
const TOTAL = Array.from({ length: EVENTS }, (_, i) => valueOf(i)).reduce((a, b) => a + b, 0);

interface World {
  meter: Stripe.Billing.Meter;
  customers: Stripe.Customer[];
  /** gte = TOTAL, every customer: fires once each, at exactly TOTAL (values are positive). */
  exact: MeterlineAlert;
  /** gte = TOTAL + 1: fires only if some usage counted twice. */
  over: MeterlineAlert;
  /** gte = TOTAL, the first customer only. */
  mine: MeterlineAlert;
}

async function world(stack: TestStack): Promise<World> {
  const { meter, customer } = await meterAndCustomer(stack.stripe);
  const customers = [customer, ...(await Promise.all(Array.from({ length: CUSTOMERS - 1 }, () => stack.stripe.customers.create({ name: 'more' }))))];
  const [exact, over, mine] = await Promise.all([usageAlert(stack.stripe, meter, TOTAL), usageAlert(stack.stripe, meter, TOTAL + 1), usageAlert(stack.stripe, meter, TOTAL, customer)]);
  return { meter, customers, exact, over, mine };
}

/** Every event of the workload, customers interleaved, 10% sent twice (client retries). */
function workload({ meter, customers }: World, now = Math.floor(Date.now() / 1000)) {
  const events: Stripe.V2.Billing.MeterEventCreateParams[] = [];
  for (let i = 0; i < EVENTS; i++) {
    for (const customer of customers) {
      const event = { event_name: meter.event_name, identifier: unique('ev'), timestamp: iso(now - (i % 30) * HOUR), payload: { stripe_customer_id: customer.id, value: String(valueOf(i)) } };
      events.push(event);
      if (i % 10 === 0) events.push({ ...event });
    }
  }
  return events;
}

async function sendStream(stack: TestStack, events: Stripe.V2.Billing.MeterEventCreateParams[]) {
  const client = await streamClient(stack);
  for (let i = 0; i < events.length; i += 100) await client.v2.billing.meterEventStream.create({ events: events.slice(i, i + 100) });
}

/** The usage an alert counted for a customer, read from its progress item. */
async function counted(stack: TestStack, alert: Pick<Stripe.Billing.Alert, 'id'>, customer: Pick<Stripe.Customer, 'id'>) {
  const { Item } = await stack.services.db.send(
    new GetCommand({ TableName: stack.services.config.usageTableName, Key: keys.alertProgress(alert.id, customer.id), ConsistentRead: true }),
  );
  return Item ? Number(Item.total) : undefined;
}

async function expectExactlyOnce(stack: TestStack, w: World) {
  const { stripe } = stack;
  const exact = await triggersOf(stripe, w.exact);
  expect(exact.map((t) => t.customer).sort()).toEqual(w.customers.map((c) => c.id).sort());
  expect(exact.map((t) => t.value)).toEqual(w.customers.map(() => TOTAL));
  expect(await triggersOf(stripe, w.over)).toEqual([]);
  expect((await triggersOf(stripe, w.mine)).map((t) => [t.customer, t.value])).toEqual([[w.customers[0]!.id, TOTAL]]);
  for (const customer of w.customers) {
    expect(await usageOf(stripe, w.meter, customer)).toBe(TOTAL);
    expect(await counted(stack, w.over, customer)).toBe(TOTAL);
  }
}

describe('usage alerts under faults', { timeout: FAULT_TEST_TIMEOUT_MS }, () => {
  it('fire exactly once when the poller delivers every batch twice, concurrently, with several invocations in flight', async ({ startStack }) => {
    const stack = await startStack({ deliverTwice: true, pollerConcurrency: 4, consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const w = await world(stack);
    await sendStream(stack, workload(w));
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    await expectExactlyOnce(stack, w);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it('take a cancelled event off exactly once when cancellations are delivered twice, concurrently with usage', async ({ startStack }) => {
    const stack = await startStack({ deliverTwice: true, pollerConcurrency: 4, consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const w = await world(stack);
    const events = workload(w);
    // Each customer's last event (a 5, never duplicated) is held back, so nothing can fire before phase 3.
    const last = events.slice(-CUSTOMERS);
    const rest = events.slice(0, -CUSTOMERS);
    const half = Math.floor(rest.length / 2);
    const now = Math.floor(Date.now() / 1000);
    const mistakes = w.customers.flatMap((customer) =>
      [2, 2].map((value) => ({ event_name: w.meter.event_name, identifier: unique('mistake'), timestamp: iso(now), payload: { stripe_customer_id: customer.id, value: String(value) } })),
    );
    await sendStream(stack, [...rest.slice(0, half), ...mistakes]);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);

    const cancel = (identifier: string) => stack!.stripe.v2.billing.meterEventAdjustments.create({ event_name: w.meter.event_name, type: 'cancel', cancel: { identifier } });
    await Promise.all([sendStream(stack, rest.slice(half)), ...mistakes.map((m) => cancel(m.identifier))]);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    for (const customer of w.customers) expect(await counted(stack, w.over, customer)).toBe(TOTAL - valueOf(EVENTS - 1));
    expect(await triggersOf(stack.stripe, w.exact)).toEqual([]);

    await sendStream(stack, last);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    await expectExactlyOnce(stack, w);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it('fire exactly once when the consumer crashes between claiming and applying', async ({ startStack }) => {
    let crashes = 2;
    const stack = await startStack({
      consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
      afterClaims: async () => {
        if (crashes-- > 0) throw new Error('simulated crash after claims');
      },
    });
    const w = await world(stack);
    await sendStream(stack, workload(w));
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(stack.poller.crashes).toBeGreaterThanOrEqual(2);
    await expectExactlyOnce(stack, w);
  });

  it('fire exactly once when invocations do their work and then fail (redelivered)', async ({ startStack }) => {
    let failures = 3;
    const stack = await startStack({
      consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
      wrapConsumer: (handler) => async (event, context) => {
        const result = await handler(event, context);
        if (failures-- > 0) throw new Error('simulated timeout after the work was done');
        return result;
      },
    });
    const w = await world(stack);
    await sendStream(stack, workload(w));
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    await expectExactlyOnce(stack, w);
  });

  it('fire exactly once when many consumers race on the same counters, each message delivered to two of them', async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const w = await world(stack);
    const nowMs = Date.now();
    // Queue messages as the API writes them, consumed directly: 12 consumers at once, every message given to two.
    const events = workload(w).map((e) => ({ ...e, timestamp: Math.floor(Date.parse(e.timestamp as string) / 1000) }));
    const records: QueueRecord[] = [];
    for (let i = 0; i < events.length; i += 10) {
      const body = JSON.stringify({ type: 'meter_events', received: Math.floor(nowMs / 1000), received_ms: nowMs, livemode: false, events: events.slice(i, i + 10) });
      records.push({ messageId: `m${i}`, receiptHandle: `r${i}`, body, receiveCount: 1 });
    }
    const consumers = 12;
    const shares = Array.from({ length: consumers }, (_, c) => records.filter((_, i) => i % consumers === c || (i + 1) % consumers === c));
    const consume = stack.services.test.consumeMeterEvents;
    let pending = shares;
    // A consumer whose messages failed (a claim in flight elsewhere, a conflict that kept losing) gets them again, as SQS would.
    for (let round = 0; pending.length && round < 20; round++) {
      const results = await Promise.all(pending.map((share) => consume(share, Date.now())));
      pending = results.map((r, c) => pending[c]!.filter((m) => r.failedMessageIds.includes(m.messageId))).filter((share) => share.length);
      if (pending.length) await new Promise((resolve) => setTimeout(resolve, 2 * CONSUMER_TIMEOUT_MS));
    }
    expect(pending).toEqual([]);
    await expectExactlyOnce(stack, w);
  });
});
