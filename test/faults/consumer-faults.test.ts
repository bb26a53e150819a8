import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect } from 'vitest';
import type Stripe from 'stripe';
import { it, type TestStack, DRAIN_DEADLINE_MS, FAULT_TEST_TIMEOUT_MS } from '../support/stack';
import { Quantity } from '../../lib/domain/quantity';
import { iso, meterAndCustomer, streamClient, unique, usageOf } from '../fixtures/stripe';

type StreamEvent = Stripe.V2.Billing.MeterEventCreateParams;

function streamEvent(eventName: string, customer: string, value: string, at: number, identifier = unique('ev')): StreamEvent {
  return { event_name: eventName, identifier, timestamp: iso(at), payload: { stripe_customer_id: customer, value } };
}

const exactSum = (values: readonly string[]) => values.reduce((t, v) => t.plus(v), new Quantity(0)).toNumber();

/**
 * The consumer timeout of these tests (the queue's visibility timeout, 6x, and claim adoption
 * follow it): the local poller's context gives each invocation 90% of twice the timeout, in which
 * it must claim and start applying its chunks on DynamoDB Local. 1 s was too short on a loaded
 * 2-core machine: a batch delivered twice at once, or retried after a crash, ran out of time on
 * every receive and was dead-lettered.
 */
const CONSUMER_TIMEOUT_MS = 3_000;

async function sendStream(stack: TestStack, events: StreamEvent[]) {
  const client = await streamClient(stack);
  for (let i = 0; i < events.length; i += 100) {
    await client.v2.billing.meterEventStream.create({ events: events.slice(i, i + 100) });
  }
}

/** 250 events over 2 customers with decimal and negative values, 10% repeated identifiers. */
function workload(eventName: string, customers: string[], now: number) {
  const events: StreamEvent[] = [];
  const counted = new Map<string, string[]>(customers.map((c) => [c, []]));
  for (let i = 0; i < 250; i++) {
    const customer = customers[i % customers.length]!;
    const value = i % 17 === 0 ? '-1.25' : `${(i % 7) + 1}.${i % 10}`;
    const event = streamEvent(eventName, customer, value, now - (i % 90) * 60);
    events.push(event);
    counted.get(customer)!.push(value);
    if (i % 10 === 0) events.push({ ...event }); // A client retry: same identifier, same event.
  }
  return { events, expected: (c: string) => exactSum(counted.get(c)!) };
}

async function setup(stack: TestStack) {
  const { customer, meter } = await meterAndCustomer(stack.stripe);
  const eventName = meter.event_name;
  const other = await stack.stripe.customers.create({ name: 'other' });
  const now = Math.floor(Date.now() / 1000);
  const { events, expected } = workload(eventName, [customer.id, other.id], now);
  const totals = (s: Stripe) => Promise.all([customer, other].map((c) => usageOf(s, meter, c)));
  return { events, expected: [expected(customer.id), expected(other.id)], totals };
}

describe('the meter-events consumer under faults', { timeout: FAULT_TEST_TIMEOUT_MS }, () => {
  it('counts every event once when the poller delivers every batch twice, concurrently', async ({ startStack }) => {
    const stack = await startStack({ deliverTwice: true, consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const { events, expected, totals } = await setup(stack);
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(await totals(stack.stripe)).toEqual(expected);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it('keeps totals exact when the consumer crashes between claiming and applying', async ({ startStack }) => {
    let crashes = 2;
    const stack = await startStack({
      consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
      afterClaims: async () => {
        if (crashes-- > 0) throw new Error('simulated crash after claims');
      },
    });
    const { events, expected, totals } = await setup(stack);
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(stack.poller.crashes).toBeGreaterThanOrEqual(2);
    expect(await totals(stack.stripe)).toEqual(expected);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it('keeps totals exact when an invocation does its work and then fails', async ({ startStack }) => {
    let failures = 2;
    const stack = await startStack({
      consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
      wrapConsumer: (handler) => async (event, context) => {
        const result = await handler(event, context);
        if (failures-- > 0) throw new Error('simulated timeout after the work was done');
        return result;
      },
    });
    const { events, expected, totals } = await setup(stack);
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(await totals(stack.stripe)).toEqual(expected);
  });

  it('moves poison messages to the dead-letter queue after maxReceiveCount receives, alone', async ({ startStack }) => {
    // One-event batches finish well within 300 ms, so the 2 s visibility timeout is safe here.
    const stack = await startStack({ consumerTimeoutMs: 300 });
    const { customer, meter } = await meterAndCustomer(stack.stripe);
    const now = Math.floor(Date.now() / 1000);
    for (const body of ['{not json', JSON.stringify({ type: 'meter_events', received: now, livemode: false, events: 'x' })]) {
      await stack.services.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
    }
    await sendStream(stack, [streamEvent(meter.event_name, customer.id, '4.5', now, unique('ok'))]);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(await stack.dlqDepth()).toBe(2);
    expect(await usageOf(stack.stripe, meter, customer)).toBe(4.5);
  });
});
