import Decimal from 'decimal.js';
import Stripe from 'stripe';
import { describe, expect } from 'vitest';
import type { Step } from '../../lib/billing/advance-subscription';
import type { LocalStackOptions } from '../../lib/local/stack';
import { DAY, floorTo, HOUR, iso, meterParams, nowSeconds, streamClient, unique } from '../fixtures/stripe';
import { it, type TestStack, DRAIN_DEADLINE_MS, FAULT_TEST_TIMEOUT_MS } from '../support/stack';

/**
 * The billing cycle under faults: live subscriptions on a controllable clock, usage sent through
 * the meter event stream, then the clock moved past period ends and grace periods while the worker
 * crashes, jobs are delivered twice, schedulers and workers run concurrently, or a job always fails.
 * Every scenario ends with the same check: one invoice per subscription period, periods contiguous
 * from the start date, exact totals, each invoice finalized once.
 */

const GRACE = HOUR;
/** Daily prices keep several periods within the meters' 35-day window. */
const FLAT_CENTS = 1000;
const METERED_UNIT = '12.5';
/** Billing worker timeout: the billing-jobs visibility timeout (6x) rounds up to 1 s, so failed jobs return quickly. */
const WORKER_TIMEOUT_MS = 150;

/** The fake wall clock every part of the stack reads (API, scheduler, worker). */
class Clock {
  nowMs = (floorTo(nowSeconds(), HOUR) + 120) * 1000;
  get seconds() {
    return Math.floor(this.nowMs / 1000);
  }
  set(seconds: number) {
    this.nowMs = seconds * 1000;
  }
}

interface Fixture {
  subscriptions: Stripe.Subscription[];
  /** Usage per subscription id, per period index. */
  usage: Map<string, Decimal[]>;
  meter: Stripe.Billing.Meter;
}

/** What the checks read from an invoice beyond the SDK's (2025+) types. */
interface InvoiceView {
  id: string;
  status: string;
  billing_reason: string;
  period_start: number;
  period_end: number;
  total: number;
  lines: { data: { amount: number; quantity_decimal: unknown; period: { start: number; end: number }; price: { id: string } }[] };
}

const periodStart = (sub: Stripe.Subscription, k: number) => sub.start_date + k * DAY;
const meteredCents = (quantity: Decimal) => quantity.mul(METERED_UNIT).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();

function clockedOptions(clock: Clock, options: LocalStackOptions = {}): LocalStackOptions {
  return { nowMs: () => clock.nowMs, invoiceGraceSeconds: GRACE, billingWorkerTimeoutMs: WORKER_TIMEOUT_MS, ...options };
}

/** `count` customers, each on a daily flat price plus a daily metered price, created a minute apart (so each has its own period ends). */
async function subscribe(stack: TestStack, clock: Clock, count: number): Promise<Fixture> {
  const { stripe } = stack;
  const meter = await stripe.billing.meters.create(meterParams());
  const product = await stripe.products.create({ name: unique('plan') });
  const flat = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: FLAT_CENTS, recurring: { interval: 'day' } });
  const metered = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount_decimal: Stripe.Decimal.from(METERED_UNIT),
    recurring: { interval: 'day', usage_type: 'metered', meter: meter.id },
  });
  const subscriptions: Stripe.Subscription[] = [];
  const t0 = clock.seconds;
  for (let i = 0; i < count; i++) {
    clock.set(t0 + i * 60);
    const customer = await stripe.customers.create({ name: `Customer ${i}` });
    subscriptions.push(await stripe.subscriptions.create({ customer: customer.id, items: [{ price: flat.id }, { price: metered.id }] }));
  }
  return { subscriptions, usage: new Map(subscriptions.map((s) => [s.id, []])), meter };
}

/** Moves the clock to the middle of period `k` and sends every subscription's usage for it (decimal values), then drains the consumer. */
async function recordUsage(stack: TestStack, clock: Clock, fixture: Fixture, k: number) {
  clock.set(periodStart(fixture.subscriptions.at(-1)!, k) + 12 * HOUR);
  const events: Stripe.V2.Billing.MeterEventCreateParams[] = [];
  fixture.subscriptions.forEach((sub, i) => {
    const values = [`${k + 1}.5`, `${i + 1}`, '0.25'];
    for (const value of values) {
      events.push({ event_name: fixture.meter.event_name, identifier: unique('ev'), timestamp: iso(clock.seconds - 60), payload: { stripe_customer_id: sub.customer as string, value } });
    }
    fixture.usage.get(sub.id)![k] = values.reduce((t, v) => t.plus(v), new Decimal(0));
  });
  const client = await streamClient(stack);
  for (let i = 0; i < events.length; i += 100) await client.v2.billing.meterEventStream.create({ events: events.slice(i, i + 100) });
  expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
}

/** The clock after period `k` of every subscription has ended and its draft's grace has passed. */
const afterGrace = (fixture: Fixture, k: number) => periodStart(fixture.subscriptions.at(-1)!, k + 1) + GRACE + 60;

async function invoicesOf(stack: TestStack, subscription: string): Promise<InvoiceView[]> {
  const page = await stack.stripe.invoices.list({ subscription, limit: 100 });
  expect(page.has_more).toBe(false);
  return page.data as unknown as InvoiceView[];
}

/** Every `invoice.finalized` event of the stack, by invoice id. */
async function finalizedEvents(stack: TestStack): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let startingAfter: string | undefined;
  for (;;) {
    const page = await stack.services.test.store.list<{ id: string; created: number; livemode: boolean; data: { object: { id: string } } }>('event', {
      limit: 100,
      filter: { name: 'type', value: 'invoice.finalized' },
      startingAfter,
    });
    for (const event of page.data) counts.set(event.data.object.id, (counts.get(event.data.object.id) ?? 0) + 1);
    if (!page.hasMore) return counts;
    startingAfter = page.data.at(-1)!.id;
  }
}

/**
 * Exactly one invoice per subscription period: the creation invoice, then one cycle invoice per
 * closed period, contiguous from the start date, with the exact flat and metered amounts, all
 * finalized, each finalized once.
 */
async function expectEachPeriodBilledOnce(stack: TestStack, fixture: Fixture, closedPeriods: number, { everySubscription = true } = {}) {
  const finalized = await finalizedEvents(stack);
  const seen = new Set<string>();
  for (const sub of fixture.subscriptions) {
    const invoices = await invoicesOf(stack, sub.id);
    const created = invoices.filter((i) => i.billing_reason === 'subscription_create');
    const cycle = invoices.filter((i) => i.billing_reason === 'subscription_cycle').sort((a, b) => a.period_start - b.period_start);
    expect(created).toHaveLength(1);
    expect(created[0]!.total).toBe(FLAT_CENTS);
    expect(cycle.map((i) => [i.period_start, i.period_end]), `periods of ${sub.id}`).toEqual(
      Array.from({ length: closedPeriods }, (_, k) => [periodStart(sub, k), periodStart(sub, k + 1)]),
    );
    expect(invoices).toHaveLength(1 + closedPeriods);
    cycle.forEach((invoice, k) => {
      const usage = fixture.usage.get(sub.id)![k] ?? new Decimal(0);
      expect(invoice.status, invoice.id).toBe('open');
      expect(invoice.total, `${invoice.id}: period ${k} of ${sub.id}`).toBe(FLAT_CENTS + meteredCents(usage));
      const metered = invoice.lines.data.find((l) => l.period.end === periodStart(sub, k + 1) && l.price.id !== sub.items.data[0]!.price.id);
      // The SDK hands `*_decimal` fields back as its own decimal type.
      expect(String(metered?.quantity_decimal)).toBe(usage.toFixed());
    });
    for (const invoice of invoices) {
      expect(seen.has(invoice.id)).toBe(false);
      seen.add(invoice.id);
      expect(finalized.get(invoice.id) ?? 0, `invoice.finalized events of ${invoice.id}`).toBe(1);
    }
  }
  // No finalized invoice that the subscriptions do not list (a second invoice for a period would be one).
  if (everySubscription) expect(finalized.size).toBe(seen.size);
}

describe('the billing cycle under faults', { timeout: FAULT_TEST_TIMEOUT_MS }, () => {
  it('bills each period once when the worker dies between building a step and committing it, then retries', async ({ startStack }) => {
    const clock = new Clock();
    const attempted = new Set<string>();
    let crashes = 0;
    const stack = await startStack(clockedOptions(clock, {
      // Crash on the first attempt of every step: the invoice is built, the period advance is not committed.
      beforeBillingCommit: async (step: Step) => {
        const key = step.kind === 'close' ? `close@${step.at}` : `finalize:${step.draft.invoice}`;
        if (attempted.has(key)) return;
        attempted.add(key);
        crashes++;
        throw new Error(`simulated crash before committing ${key}`);
      },
    }));
    const fixture = await subscribe(stack, clock, 3);
    const periods = 3;
    for (let k = 0; k < periods; k++) {
      await recordUsage(stack, clock, fixture, k);
      // As the schedule would: one run once period k has ended and its draft's grace has passed.
      clock.set(afterGrace(fixture, k));
      expect((await stack.runBillingScheduler()).queued).toBe(3);
      expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    }
    // Each subscription closed 3 periods and finalized 3 drafts: 6 steps, each crashed once.
    expect(crashes).toBe(3 * 2 * periods);
    expect(await stack.billingDlqDepth()).toBe(0);
    await expectEachPeriodBilledOnce(stack, fixture, periods);
  });

  it('bills each period once when every job is delivered twice and two schedulers run at once', async ({ startStack }) => {
    const clock = new Clock();
    const stack = await startStack(clockedOptions(clock, { deliverBillingTwice: true }));
    const fixture = await subscribe(stack, clock, 4);
    const periods = 3;
    for (let k = 0; k < periods; k++) await recordUsage(stack, clock, fixture, k);
    // One jump over three periods: each job closes and finalizes all of them, twice at once.
    const t = afterGrace(fixture, periods - 1);
    clock.set(t);
    const runs = await Promise.all([stack.runBillingScheduler(t), stack.runBillingScheduler(t)]);
    expect(runs.map((r) => r.queued)).toEqual([4, 4]);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    expect(await stack.billingDlqDepth()).toBe(0);
    await expectEachPeriodBilledOnce(stack, fixture, periods);
    // Nothing is left due: a later run queues nothing.
    expect((await stack.runBillingScheduler(t)).queued).toBe(0);
  });

  it('bills each period once and finalizes each draft once when workers advance one subscription concurrently', async ({ startStack }) => {
    const clock = new Clock();
    const stack = await startStack(clockedOptions(clock));
    const fixture = await subscribe(stack, clock, 2);
    const periods = 4;
    for (let k = 0; k < periods; k++) await recordUsage(stack, clock, fixture, k);
    const { billing } = stack.services.test;
    clock.set(afterGrace(fixture, periods - 1));
    const last = fixture.subscriptions.at(-1)!;
    // Four workers per subscription at each of: mid-grace of period 0, after its grace, then
    // every remaining boundary at once with the final time.
    const times = [periodStart(last, 1) + GRACE / 2, afterGrace(fixture, 0), afterGrace(fixture, 1), afterGrace(fixture, 3), afterGrace(fixture, 2), afterGrace(fixture, 3)];
    await Promise.all(fixture.subscriptions.flatMap((sub) => [0, 1, 2, 3].map(() => billing.advanceSubscription(sub.id, times[0]!))));
    await Promise.all(fixture.subscriptions.flatMap((sub) => [0, 1, 2, 3].map(() => billing.advanceSubscription(sub.id, times[1]!))));
    await Promise.all(fixture.subscriptions.flatMap((sub) => times.slice(2).flatMap((t) => [billing.advanceSubscription(sub.id, t), billing.advanceSubscription(sub.id, t)])));
    await expectEachPeriodBilledOnce(stack, fixture, periods);
  });

  it('dead-letters a job whose worker always fails, without holding up the other subscriptions', async ({ startStack }) => {
    const clock = new Clock();
    let poisonEnd = -1;
    let failures = 0;
    const stack = await startStack(clockedOptions(clock, {
      beforeBillingCommit: async (step: Step) => {
        if (step.kind === 'close' && step.at === poisonEnd) {
          failures++;
          throw new Error('simulated bug: this subscription always fails');
        }
      },
    }));
    const fixture = await subscribe(stack, clock, 3);
    const [poison, ...others] = fixture.subscriptions;
    poisonEnd = periodStart(poison!, 1);
    await recordUsage(stack, clock, fixture, 0);
    clock.set(afterGrace(fixture, 0));
    expect((await stack.runBillingScheduler()).queued).toBe(3);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    // maxReceiveCount (5) receives, then the redrive policy moves the job aside.
    expect(failures).toBe(5);
    expect(await stack.billingDlqDepth()).toBe(1);
    await expectEachPeriodBilledOnce(stack, { ...fixture, subscriptions: others }, 1, { everySubscription: false });
    // Nothing half-written for the failing one: only its creation invoice, and it is still due.
    expect((await invoicesOf(stack, poison!.id)).map((i) => i.billing_reason)).toEqual(['subscription_create']);

    // Each failure doubled its backoff: the scheduler leaves it alone instead of feeding the DLQ
    // a new job every run, until 2^4 minutes after the last failure.
    expect((await stack.runBillingScheduler()).queued).toBe(0);
    // Once the bug is fixed and the backoff has passed, the next scheduler run bills it, once.
    poisonEnd = -1;
    clock.set(clock.seconds + 17 * 60);
    expect((await stack.runBillingScheduler()).queued).toBe(1);
    expect(await stack.drain(DRAIN_DEADLINE_MS)).toBe(true);
    await expectEachPeriodBilledOnce(stack, fixture, 1);
  });
});
