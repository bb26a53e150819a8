import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type Stripe from 'stripe';
import { it, type TestStack, DRAIN_DEADLINE_MS, FAULT_TEST_TIMEOUT_MS } from '../support/stack';
import { Quantity } from '../../lib/domain/quantity';
import { MAX_COMBINATIONS_PER_HOUR } from '../../lib/domain/dimensions';
import type { QueueRecord } from '../../lib/metering/consume-meter-events';
import { acceptedRange, customerParams, floorTo, HOUR, iso, loose, MINUTE, nowSeconds, streamClient, unique } from '../fixtures/stripe';

/*
 * Meter events with dimensions under faults: every group's total (grouped by model, by token
 * type, and the ungrouped total) stays exact whatever the duplicated, concurrent or crashed
 * deliveries; and the bound on combinations per customer and hour holds under concurrency
 * without dropping anything silently.
 */

type StreamEvent = Stripe.V2.Billing.MeterEventCreateParams;
type Meter = Stripe.Billing.Meter;

const MODELS = ['large', 'medium', 'small'];
const TOKEN_TYPES = ['input', 'output'];
const GROUP_KEYS = ['model', 'token_type'] as const;
type GroupKey = (typeof GROUP_KEYS)[number];

/** The consumer timeout of these tests, as in consumer-faults.test.ts (claims stay in flight twice as long). */
const CONSUMER_TIMEOUT_MS = 3_000;
const IN_FLIGHT_MS = 2 * CONSUMER_TIMEOUT_MS;

/** A meter with dimensions `model` and `token_type` (Stripe's preview parameter, passed through the SDK). */
const tokenMeter = (stripe: Stripe) =>
  stripe.billing.meters.create(
    loose({ display_name: 'Tokens', event_name: unique('tokens'), default_aggregation: { formula: 'sum' }, dimension_payload_keys: ['model', 'token_type'] }),
  );

function tokenEvent(meter: Meter, customer: string, value: string, at: number, dims: Record<string, string>, identifier = unique('ev')): StreamEvent {
  return { event_name: meter.event_name, identifier, timestamp: iso(at), payload: { stripe_customer_id: customer, value, ...dims } };
}

/** Exact totals of the events counted once, per customer: overall and per value of each dimension key. */
class Expected {
  private readonly totals = new Map<string, Quantity>();
  private readonly counted = new Set<string>();

  /** Counts `event` unless its identifier was counted already (a resent or redelivered event). */
  add(event: StreamEvent): void {
    const identifier = event.identifier!;
    if (this.counted.has(identifier)) return;
    this.counted.add(identifier);
    const { stripe_customer_id: customer, value } = event.payload;
    const keys = [`${customer}|total|`, ...GROUP_KEYS.filter((k) => event.payload[k] !== undefined).map((k) => `${customer}|${k}|${event.payload[k]}`)];
    for (const key of keys) this.totals.set(key, (this.totals.get(key) ?? new Quantity(0)).plus(value!));
  }

  total(customer: string): string {
    return (this.totals.get(`${customer}|total|`) ?? new Quantity(0)).toFixed();
  }

  /** Group value -> exact total, for one customer and dimension key. */
  groups(customer: string, key: GroupKey): Record<string, string> {
    const prefix = `${customer}|${key}|`;
    return Object.fromEntries([...this.totals].filter(([k]) => k.startsWith(prefix)).map(([k, q]) => [k.slice(prefix.length), q.toFixed()]));
  }
}

/** A customer's summaries over every accepted event time, grouped by `key` (group value -> exact text), or its one ungrouped total. */
async function summaryGroups(stripe: Stripe, meter: Meter, customer: string, key: GroupKey): Promise<Record<string, string>> {
  const { start, end } = acceptedRange();
  const page = await stripe.billing.meters.listEventSummaries(meter.id, loose({ customer, start_time: start, end_time: end, limit: 100, dimension_group_by_keys: [key] }));
  expect(page.has_more).toBe(false);
  return Object.fromEntries(page.data.map((s) => [(s as { dimensions?: Record<string, string> }).dimensions?.[key] ?? '(none)', new Quantity(String(s.aggregated_value)).toFixed()]));
}

async function summaryTotal(stripe: Stripe, meter: Meter, customer: string): Promise<string> {
  const { start, end } = acceptedRange();
  const page = await stripe.billing.meters.listEventSummaries(meter.id, { customer, start_time: start, end_time: end });
  expect(page.data).toHaveLength(1);
  return new Quantity(String(page.data[0]!.aggregated_value)).toFixed();
}

/** Every customer's ungrouped total and groups by model and by token type, as read through the API and as expected. */
async function everyGroup(stripe: Stripe, meter: Meter, customers: string[], expected: Expected) {
  const read = async (customer: string) => ({
    total: await summaryTotal(stripe, meter, customer),
    model: await summaryGroups(stripe, meter, customer, 'model'),
    token_type: await summaryGroups(stripe, meter, customer, 'token_type'),
  });
  const want = (customer: string) => ({ total: expected.total(customer), model: expected.groups(customer, 'model'), token_type: expected.groups(customer, 'token_type') });
  return { got: await Promise.all(customers.map(read)), want: customers.map(want) };
}

async function sendStream(stack: TestStack, events: StreamEvent[]) {
  const client = await streamClient(stack);
  for (let i = 0; i < events.length; i += 100) {
    await client.v2.billing.meterEventStream.create({ events: events.slice(i, i + 100) });
  }
}

/**
 * 240 events over 2 customers, 3 hours and every combination of 3 models x 2 token types, with
 * decimal and negative values; every tenth is sent again later (a client retry: same identifier,
 * same event).
 */
function workload(meter: Meter, customers: string[], now: number) {
  const events: StreamEvent[] = [];
  const expected = new Expected();
  const hour = floorTo(now, HOUR) - 2 * HOUR;
  for (let i = 0; i < 240; i++) {
    const value = i % 17 === 0 ? '-1.25' : `${(i % 7) + 1}.${i % 10}${i % 3}`;
    const dims = { model: MODELS[i % 3]!, token_type: TOKEN_TYPES[Math.floor(i / 3) % 2]! };
    const at = Math.min(now, hour + (i % 3) * HOUR + (i % 60) * MINUTE);
    const event = tokenEvent(meter, customers[i % customers.length]!, value, at, dims);
    events.push(event);
    expected.add(event);
    if (i % 10 === 0) events.push({ ...event });
  }
  return { events, expected };
}

async function setup(stack: TestStack, customerCount = 2) {
  const meter = await tokenMeter(stack.stripe);
  const customers = await Promise.all(Array.from({ length: customerCount }, () => stack.stripe.customers.create(customerParams()).then((c) => c.id)));
  return { meter, customers };
}

/** A meter-events queue message as the stream endpoint enqueues it, for handing to the consumer directly. */
function queueRecord(events: StreamEvent[], receivedMs = Date.now()): QueueRecord {
  const body = { type: 'meter_events', received: Math.floor(receivedMs / 1000), received_ms: receivedMs, livemode: false, events };
  return { messageId: randomUUID(), receiptHandle: randomUUID(), body: JSON.stringify(body), receiveCount: 1 };
}

/**
 * Consumer invocations (the consumer's own use case, on the stack's DynamoDB), all at once: each
 * entry of `batches` is one invocation's records. Returns the records each invocation failed.
 */
async function consumeAtOnce(stack: TestStack, batches: QueueRecord[][]) {
  const results = await Promise.all(batches.map((records) => stack.services.test.consumeMeterEvents(records, Date.now())));
  return results.map((result, i) => batches[i]!.filter((r) => result.failedMessageIds.includes(r.messageId)));
}

/**
 * What the queue does with failed messages: they come back, here once the claims they left
 * are past the in-flight window (so an attempt that crashed is adopted), until none fails.
 */
async function redeliverFailures(stack: TestStack, failed: QueueRecord[], maxRounds = 6) {
  let rounds = 0;
  while (failed.length && rounds++ < maxRounds) {
    await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_MS + 500));
    failed = (await consumeAtOnce(stack, [failed]))[0]!;
  }
  return { rounds, failed };
}

/** The identifiers the meter's error reports name for `code`, and how many events they count. */
async function refusedEvents(stripe: Stripe, meterId: string, code: string) {
  const identifiers: string[] = [];
  let count = 0;
  for await (const report of stripe.v2.core.events.list({ object_id: meterId })) {
    const types = (report as unknown as { data: { reason: { error_types: { code: string; error_count: number; sample_errors: { request: { identifier: string } }[] }[] } } }).data.reason.error_types;
    for (const type of types) {
      if (type.code !== code) continue;
      count += type.error_count;
      identifiers.push(...type.sample_errors.map((s) => s.request.identifier));
    }
  }
  return { identifiers: [...new Set(identifiers)].sort(), count };
}

/** An afterClaims hook whose first `times` calls crash the invocation between claiming and applying. */
function crashAfterClaims(times: number) {
  let crashes = times;
  return async () => {
    if (crashes-- > 0) throw new Error('simulated crash after claims');
  };
}

describe('meter events with dimensions under faults', { timeout: FAULT_TEST_TIMEOUT_MS }, () => {
  it('counts every event once in every group when each batch is delivered twice at once, then each message again, and identifiers are resent', async ({ startStack }) => {
    // Every batch goes to two invocations at once (deliverTwice), then, once they are done, the
    // same messages go to the consumer again (a redelivery after success).
    let again = 0;
    const stack = await startStack({
      deliverTwice: true,
      consumerTimeoutMs: CONSUMER_TIMEOUT_MS,
      wrapConsumer: (handler) => async (event) => {
        await handler(event);
        again++;
        return handler(event);
      },
    });
    const { meter, customers } = await setup(stack);
    const { events, expected } = workload(meter, customers, nowSeconds());
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    // The whole stream once more: the same identifiers, in new messages.
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(again).toBeGreaterThan(0);
    const { got, want } = await everyGroup(stack.stripe, meter, customers, expected);
    expect(got).toEqual(want);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it('keeps every group exact when several invocations apply the same customer-hour at once', async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const { meter, customers } = await setup(stack, 1);
    const customer = customers[0]!;
    const hour = floorTo(nowSeconds(), HOUR) - HOUR;
    // 4 messages of 60 events, all on one hourly usage item, every combination in each; the last
    // 10 events of each message repeat 10 of the next message's (an identifier sent twice).
    const expected = new Expected();
    const messages: StreamEvent[][] = [];
    for (let m = 0; m < 4; m++) {
      const events: StreamEvent[] = [];
      for (let i = 0; i < 50; i++) {
        const dims = { model: MODELS[(i + m) % 3]!, token_type: TOKEN_TYPES[i % 2]! };
        const value = i % 13 === 0 ? '-0.5' : `${m + 1}.${String(i).padStart(2, '0')}1`;
        events.push(tokenEvent(meter, customer, value, hour + (i % 60) * MINUTE + m, dims, `m${m}_${i}_${randomUUID()}`));
      }
      messages.push(events);
    }
    for (let m = 0; m < 4; m++) messages[m]!.push(...messages[(m + 1) % 4]!.slice(0, 10));
    for (const events of messages) for (const e of events) expected.add(e);
    const records = messages.map((events) => queueRecord(events));
    // Each message to two invocations at once, and the four messages at once: 8 invocations.
    const failed = await consumeAtOnce(stack, [...records.map((r) => [r]), ...records.map((r) => [r])]);
    const { failed: left } = await redeliverFailures(stack, [...new Map(failed.flat().map((r) => [r.messageId, r])).values()]);
    expect(left).toEqual([]);
    const { got, want } = await everyGroup(stack.stripe, meter, [customer], expected);
    expect(got).toEqual(want);
    expect(Object.keys(want[0]!.model)).toHaveLength(3);
    expect(Object.keys(want[0]!.token_type)).toHaveLength(2);
  });

  it('keeps every group exact when the consumer crashes between claiming and applying, and the batch comes back after the in-flight window', async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS, afterClaims: crashAfterClaims(1) });
    const { meter, customers } = await setup(stack);
    const { events, expected } = workload(meter, customers, nowSeconds());
    const records = [];
    for (let i = 0; i < events.length; i += 100) records.push(queueRecord(events.slice(i, i + 100)));

    // The first invocation claims every event and dies before applying any.
    await expect(stack.services.test.consumeMeterEvents(records, Date.now())).rejects.toThrow('simulated crash after claims');
    // Delivered again at once, its claims may still be applied by a live owner: nothing counts yet.
    const early = await stack.services.test.consumeMeterEvents(records, Date.now());
    expect(early.counts.applied).toBe(0);
    expect(early.retrySoon.messageIds.sort()).toEqual(records.map((r) => r.messageId).sort());
    const { got: before } = await everyGroup(stack.stripe, meter, customers, expected);
    expect(before.map((g) => g.total)).toEqual(['0', '0']);
    // After the in-flight window, the dead attempt's claims are adopted and applied once.
    const { failed } = await redeliverFailures(stack, records);
    expect(failed).toEqual([]);
    const { got, want } = await everyGroup(stack.stripe, meter, customers, expected);
    expect(got).toEqual(want);
  });

  it('keeps every group exact when the poller redelivers crashed batches', async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS, afterClaims: crashAfterClaims(2) });
    const { meter, customers } = await setup(stack);
    const { events, expected } = workload(meter, customers, nowSeconds());
    await sendStream(stack, events);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(stack.poller.crashes).toBeGreaterThanOrEqual(2);
    const { got, want } = await everyGroup(stack.stripe, meter, customers, expected);
    expect(got).toEqual(want);
    expect(await stack.dlqDepth()).toBe(0);
  });

  it(`never lets two concurrent batches take an hour past ${MAX_COMBINATIONS_PER_HOUR} combinations, and reports every event it refuses`, async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const { meter, customers } = await setup(stack, 1);
    const customer = customers[0]!;
    const hour = floorTo(nowSeconds(), HOUR) - HOUR;
    // Two batches of 12 events, each event a combination of its own (24 in all, none shared).
    const batch = (b: number) =>
      Array.from({ length: 12 }, (_, i) => tokenEvent(meter, customer, `${b + 1}.${i + 1}`, hour + i * MINUTE, { model: `m${b}_${String(i).padStart(2, '0')}`, token_type: 'input' }, `b${b}_${i}_${randomUUID()}`));
    const sent = [batch(0), batch(1)];
    const records = sent.map((events) => queueRecord(events));
    const failed = await consumeAtOnce(stack, records.map((r) => [r]));
    const { failed: left } = await redeliverFailures(stack, failed.flat());
    expect(left).toEqual([]);

    const counted = await summaryGroups(stack.stripe, meter, customer, 'model');
    expect(Object.keys(counted)).toHaveLength(MAX_COMBINATIONS_PER_HOUR);
    // Each counted model is one event, counted exactly; the others were refused, each with an error report.
    const all = sent.flat();
    for (const event of all.filter((e) => counted[e.payload.model!] !== undefined)) {
      expect(counted[event.payload.model!]).toBe(new Quantity(event.payload.value!).toFixed());
    }
    const notCounted = all.filter((e) => counted[e.payload.model!] === undefined).map((e) => e.identifier).sort();
    expect(notCounted).toHaveLength(all.length - MAX_COMBINATIONS_PER_HOUR);
    const refused = await refusedEvents(stack.stripe, meter.id, 'dimension_combinations_exceeded');
    expect(refused.identifiers).toEqual(notCounted);
    const total = Object.values(counted).reduce((t, v) => t.plus(v), new Quantity(0)).toFixed();
    expect(await summaryTotal(stack.stripe, meter, customer)).toBe(total);
  });

  // Found failing at 51cae8a: the hourly item's condition counted the chunk's known combinations
  // as new (15 listed + 5 known + 1 new needed 15 <= 14), so the chunk failed on every delivery
  // and the message went to the dead-letter queue uncounted and unreported. The condition now
  // counts only the combinations the item was not read to list (usage-apply.ts hourUpdate).
  it('counts a batch of known combinations and a new one on an hour that still has room for it', async ({ startStack }) => {
    const stack = await startStack({ consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    const { meter, customers } = await setup(stack, 1);
    const customer = customers[0]!;
    const hour = floorTo(nowSeconds(), HOUR) - HOUR;
    const expected = new Expected();
    const event = (i: number, value: string) => tokenEvent(meter, customer, value, hour + i * MINUTE, { model: `m${String(i).padStart(2, '0')}`, token_type: 'input' });
    // 15 combinations on the hour...
    const first = Array.from({ length: 15 }, (_, i) => event(i, '1'));
    // ...then one batch with 5 of them again and a 16th.
    const second = [...Array.from({ length: 5 }, (_, i) => event(i, '0.5')), event(15, '2')];
    for (const e of [...first, ...second]) expected.add(e);
    const [failedFirst] = await consumeAtOnce(stack, [[queueRecord(first)]]);
    expect(failedFirst).toEqual([]);
    const [failedSecond] = await consumeAtOnce(stack, [[queueRecord(second)]]);
    const { failed } = await redeliverFailures(stack, failedSecond!, 2);
    expect(failed).toEqual([]);
    expect(await summaryGroups(stack.stripe, meter, customer, 'model')).toEqual(expected.groups(customer, 'model'));
    expect((await refusedEvents(stack.stripe, meter.id, 'dimension_combinations_exceeded')).count).toBe(0);
  });
});
