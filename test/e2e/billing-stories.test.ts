import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { decimal, graduatedTiers, packagePriceParams, tieredPriceParams } from '../fixtures/catalog';
import { DAY, HOUR, MINUTE } from '../fixtures/stripe';
import {
  advance,
  afterGrace,
  april,
  clockedCustomer,
  expectedInvoice,
  GRACE,
  invoicesOf,
  invoiceSummaries,
  item,
  june,
  licensedPrice,
  line,
  march,
  may,
  meteredPrice,
  newMeter,
  subscriptionParams,
  summary,
  usage,
  utc,
  volumeTiersWithFlatAmounts,
} from '../fixtures/billing';

describe('billing stories on test clocks', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  /** The first invoice's period: the creation instant. */
  const atCreation = (t: number): [number, number] => [t, t];
  const span = (p: { start: number; end: number }): [number, number] => [p.start, p.end];

  it('bills a monthly flat fee in advance and metered usage in arrears, each period on its own invoice', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 2000 });
    const tokens = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('3') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 1), item(tokens)]));
    expect(subscription.items.data.map((i) => [i.current_period_start, i.current_period_end])).toEqual([span(march), span(march)]);

    await advance(stripe, clock, utc(2026, 3, 21));
    await usage(stack, meter, customer, [['1000', utc(2026, 3, 10)], ['234', utc(2026, 3, 20, 23, 59)]]);
    await advance(stripe, clock, utc(2026, 4, 15));
    await usage(stack, meter, customer, [['500', utc(2026, 4, 14)]]);
    await advance(stripe, clock, afterGrace(may.start));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(march.start), [line(fee, '1', 2000, march), line(tokens, '0', 0, march)]),
      expectedInvoice('subscription_cycle', 'open', span(march), [line(tokens, '1234', 3702, march), line(fee, '1', 2000, april)]),
      expectedInvoice('subscription_cycle', 'open', span(april), [line(tokens, '500', 1500, april), line(fee, '1', 2000, may)]),
    ]);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data.map((i) => [i.current_period_start, i.current_period_end])).toEqual([span(may), span(may)]);
  });

  it('bills weekly subscriptions every seven days', async () => {
    const start = utc(2026, 3, 2);
    const weeks = [0, 1, 2].map((n) => ({ start: start + n * 7 * DAY, end: start + (n + 1) * 7 * DAY })) as [
      { start: number; end: number },
      { start: number; end: number },
      { start: number; end: number },
    ];
    const { clock, customer, product } = await clockedCustomer(stripe, start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 500, recurring: { interval: 'week' } });
    const calls = await meteredPrice(stripe, product.id, meter.id, {
      unit_amount_decimal: decimal('5'),
      recurring: { interval: 'week', usage_type: 'metered', meter: meter.id },
    });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 2), item(calls)]));

    await advance(stripe, clock, start + DAY);
    await usage(stack, meter, customer, [['10', start + DAY - MINUTE]]);
    await advance(stripe, clock, afterGrace(weeks[1].start));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(start), [line(fee, '2', 1000, weeks[0]), line(calls, '0', 0, weeks[0])]),
      expectedInvoice('subscription_cycle', 'open', span(weeks[0]), [line(calls, '10', 50, weeks[0]), line(fee, '2', 1000, weeks[1])]),
    ]);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: weeks[1].start, current_period_end: weeks[1].end });
  });

  it('bills yearly subscriptions once a year, on the anniversary', async () => {
    const year1 = { start: utc(2026, 2, 15), end: utc(2027, 2, 15) };
    const year2 = { start: utc(2027, 2, 15), end: utc(2028, 2, 15) };
    const { clock, customer, product } = await clockedCustomer(stripe, year1.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 12_000, recurring: { interval: 'year' } });
    const seats = await meteredPrice(stripe, product.id, meter.id, {
      unit_amount: 100,
      recurring: { interval: 'year', usage_type: 'metered', meter: meter.id },
    });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 1), item(seats)]));

    await advance(stripe, clock, utc(2027, 2, 10));
    expect(await invoicesOf(stripe, subscription)).toHaveLength(1);
    await usage(stack, meter, customer, [['7', utc(2027, 2, 9)]]);
    await advance(stripe, clock, afterGrace(year2.start));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(year1.start), [line(fee, '1', 12_000, year1), line(seats, '0', 0, year1)]),
      expectedInvoice('subscription_cycle', 'open', span(year1), [line(seats, '7', 700, year1), line(fee, '1', 12_000, year2)]),
    ]);
  });

  it.each([
    { year: 2026, february: 28 },
    { year: 2028, february: 29 },
  ])('bills an anchor on January 31st on the last day of shorter months and returns to the 31st ($year)', async ({ year, february }) => {
    const at = (month: number, day: number) => utc(year, month, day, 12);
    const boundaries = [at(1, 31), at(2, february), at(3, 31), at(4, 30), at(5, 31)];
    const periods = boundaries.slice(0, -1).map((start, i) => ({ start, end: boundaries[i + 1]! }));
    const { clock, customer, product } = await clockedCustomer(stripe, at(1, 31));
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 1000 });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 1)]));

    await advance(stripe, clock, afterGrace(at(4, 30)));

    const [p0, p1, p2, p3] = periods as [(typeof periods)[0], (typeof periods)[0], (typeof periods)[0], (typeof periods)[0]];
    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(p0.start), [line(fee, '1', 1000, p0)]),
      expectedInvoice('subscription_cycle', 'open', span(p0), [line(fee, '1', 1000, p1)]),
      expectedInvoice('subscription_cycle', 'open', span(p1), [line(fee, '1', 1000, p2)]),
      expectedInvoice('subscription_cycle', 'open', span(p2), [line(fee, '1', 1000, p3)]),
    ]);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.items.data[0]).toMatchObject({ current_period_start: at(4, 30), current_period_end: at(5, 31) });
  });

  it('prices graduated and volume tiers exactly at the tier edges', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const [requests, seats] = await Promise.all([newMeter(stripe), newMeter(stripe)]);
    // Graduated: 5.00 base for the first 1000, then 0.2 cents each to 10 000, then 0.1 cents each plus 99.5 cents.
    const graduated = await stripe.prices.create(tieredPriceParams(product.id, requests.id, 'graduated', { tiers: graduatedTiers() }));
    // Volume: up to 100 at 2 cents each plus 1.00; beyond, 1.5 cents each plus 50 cents, for the whole quantity.
    const volume = await stripe.prices.create(tieredPriceParams(product.id, seats.id, 'volume', { tiers: volumeTiersWithFlatAmounts() }));
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(graduated), item(volume)]));

    await advance(stripe, clock, utc(2026, 3, 31));
    await usage(stack, requests, customer, [['1000', utc(2026, 3, 30)]]);
    await usage(stack, seats, customer, [['100', utc(2026, 3, 30)]]);
    await advance(stripe, clock, utc(2026, 4, 30));
    await usage(stack, requests, customer, [['10000', utc(2026, 4, 29)]]);
    await usage(stack, seats, customer, [['101', utc(2026, 4, 29)]]);
    await advance(stripe, clock, utc(2026, 5, 31));
    await usage(stack, requests, customer, [['10001', utc(2026, 5, 30)]]);
    await advance(stripe, clock, afterGrace(june.start));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      // Usage is billed in arrears: the first invoice shows the metered items at zero, base fees included.
      expectedInvoice('subscription_create', 'paid', atCreation(march.start), [line(graduated, '0', 0, march), line(volume, '0', 0, march)]),
      // 1000: the first tier's 5.00 only. 100 seats: 100 x 2 + 100.
      expectedInvoice('subscription_cycle', 'open', span(march), [line(graduated, '1000', 500, march), line(volume, '100', 300, march)]),
      // 10 000: 500 + 9000 x 0.2. 101 seats: 101 x 1.5 + 50 = 201.5, rounded half up.
      expectedInvoice('subscription_cycle', 'open', span(april), [line(graduated, '10000', 2300, april), line(volume, '101', 202, april)]),
      // 10 001: 2300 + 0.1 + 99.5 = 2399.6. No seats: the first volume tier's flat 1.00.
      expectedInvoice('subscription_cycle', 'open', span(may), [line(graduated, '10001', 2400, may), line(volume, '0', 100, may)]),
    ]);
  });

  it('bills package prices per started package, showing the reported quantity', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const packs = await stripe.prices.create(packagePriceParams(product.id, meter.id));
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(packs)]));

    await advance(stripe, clock, utc(2026, 3, 31));
    await usage(stack, meter, customer, [['1001', utc(2026, 3, 30)]]);
    await advance(stripe, clock, utc(2026, 4, 30));
    await usage(stack, meter, customer, [['1000', utc(2026, 4, 29)]]);
    await advance(stripe, clock, afterGrace(may.start));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'paid', atCreation(march.start), [line(packs, '0', 0, march)]),
      expectedInvoice('subscription_cycle', 'open', span(march), [line(packs, '1001', 2000, march)]),
      expectedInvoice('subscription_cycle', 'open', span(april), [line(packs, '1000', 1000, april)]),
    ]);
  });

  it('rounds each line to the cent, half up, before summing the lines', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const [images, minutes] = await Promise.all([newMeter(stripe), newMeter(stripe)]);
    const perImage = await meteredPrice(stripe, product.id, images.id, { unit_amount_decimal: decimal('2.5') });
    const perMinute = await meteredPrice(stripe, product.id, minutes.id, { unit_amount_decimal: decimal('3') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(perImage), item(perMinute)]));

    await advance(stripe, clock, utc(2026, 3, 31));
    await usage(stack, images, customer, [['1', utc(2026, 3, 30)]]);
    await usage(stack, minutes, customer, [['0.5', utc(2026, 3, 30)]]);
    await advance(stripe, clock, afterGrace(april.start));

    const [, cycle] = await invoicesOf(stripe, subscription);
    // 2.5 -> 3 and 1.5 -> 2: 5 cents, where rounding the 4-cent sum once would give 4.
    expect(summary(cycle!)).toEqual(
      expectedInvoice('subscription_cycle', 'open', span(march), [line(perImage, '1', 3, march), line(perMinute, '0.5', 2, march)]),
    );
    expect(cycle!.total).toBe(5);
    // Stripe's integer quantity truncates; quantity_decimal keeps the exact usage.
    expect(cycle!.lines.data.map((l) => l.quantity)).toEqual([1, 0]);
  });

  it('bills zero-decimal currencies in whole yen', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const plan = await licensedPrice(stripe, product.id, { currency: 'jpy', unit_amount: 1000 });
    const calls = await meteredPrice(stripe, product.id, meter.id, { currency: 'jpy', unit_amount_decimal: decimal('0.5') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(plan, 1), item(calls)]));
    expect(subscription.currency).toBe('jpy');

    await advance(stripe, clock, utc(2026, 3, 31));
    await usage(stack, meter, customer, [['3', utc(2026, 3, 30)]]);
    await advance(stripe, clock, afterGrace(april.start));

    const invoices = await invoicesOf(stripe, subscription);
    expect(invoices.map((invoice) => invoice.currency)).toEqual(['jpy', 'jpy']);
    expect(invoices.map(summary)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(march.start), [line(plan, '1', 1000, march), line(calls, '0', 0, march)]),
      // 3 x 0.5 yen = 1.5, rounded half up to 2 yen.
      expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '3', 2, march), line(plan, '1', 1000, april)]),
    ]);
  });

  it('puts late usage that arrives within the grace period on the invoice, and never changes it after', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const calls = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(calls)]));

    await advance(stripe, clock, utc(2026, 3, 21));
    await usage(stack, meter, customer, [['10', utc(2026, 3, 20)]]);
    await advance(stripe, clock, april.start + 30 * MINUTE);
    const [, draft] = await invoicesOf(stripe, subscription);
    expect(draft).toMatchObject({ status: 'draft', billing_reason: 'subscription_cycle', total: 50, automatically_finalizes_at: april.start + GRACE });

    await usage(stack, meter, customer, [['5', april.start - 10 * MINUTE]]);
    await advance(stripe, clock, april.start + 2 * HOUR);
    const finalized = await stripe.invoices.retrieve(draft!.id);
    expect(summary(finalized)).toEqual(expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '15', 75, march)]));
    expect(finalized.status_transitions.finalized_at).toBe(april.start + GRACE);

    // After the grace period: the March event lands on no invoice (Stripe's behaviour too).
    await usage(stack, meter, customer, [['7', april.start - 5 * MINUTE]]);
    await advance(stripe, clock, utc(2026, 4, 11));
    await usage(stack, meter, customer, [['4', utc(2026, 4, 10)]]);
    await advance(stripe, clock, afterGrace(may.start));
    expect(summary(await stripe.invoices.retrieve(draft!.id))).toEqual(summary(finalized));
    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'paid', atCreation(march.start), [line(calls, '0', 0, march)]),
      expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '15', 75, march)]),
      expectedInvoice('subscription_cycle', 'open', span(april), [line(calls, '4', 20, april)]),
    ]);
  });

  it('cancels with invoice_now: a final invoice bills the usage so far, and nothing is billed after', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 1000 });
    const calls = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 1), item(calls)]));

    const cancelAt = utc(2026, 3, 10);
    await advance(stripe, clock, cancelAt);
    await usage(stack, meter, customer, [['10', utc(2026, 3, 5)]]);
    const canceled = await stripe.subscriptions.cancel(subscription.id, { invoice_now: true });
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: cancelAt, ended_at: cancelAt });
    const sofar = { start: march.start, end: cancelAt };
    const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
    expect(summary(final)).toEqual(expectedInvoice('subscription_update', 'draft', span(sofar), [line(calls, '10', 50, sofar)]));
    expect(final.automatically_finalizes_at).toBe(cancelAt + GRACE);

    await advance(stripe, clock, utc(2026, 5, 15));
    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(march.start), [line(fee, '1', 1000, march), line(calls, '0', 0, march)]),
      expectedInvoice('subscription_update', 'open', span(sofar), [line(calls, '10', 50, sofar)]),
    ]);
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'canceled' });
  });

  it('ends a cancel_at_period_end subscription at the period end, billing the last usage and no further fee', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 1000 });
    const calls = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(
      subscriptionParams(customer, [item(fee, 1), item(calls)], { cancel_at_period_end: true }),
    );
    expect(subscription).toMatchObject({ cancel_at_period_end: true, cancel_at: march.end });

    await advance(stripe, clock, utc(2026, 3, 21));
    await usage(stack, meter, customer, [['20', utc(2026, 3, 15)]]);
    await advance(stripe, clock, utc(2026, 5, 15));

    expect(await invoiceSummaries(stripe, subscription)).toEqual([
      expectedInvoice('subscription_create', 'open', atCreation(march.start), [line(fee, '1', 1000, march), line(calls, '0', 0, march)]),
      expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '20', 100, march)]),
    ]);
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'canceled', ended_at: march.end });
  });

  it('prorates the first invoice up to a future billing_cycle_anchor, then bills full periods from the anchor', async () => {
    const anchor = utc(2026, 3, 15);
    const partial = { start: march.start, end: anchor };
    const first = { start: anchor, end: utc(2026, 4, 15) };
    const second = { start: utc(2026, 4, 15), end: utc(2026, 5, 15) };
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, product.id, { unit_amount: 3100 });
    const calls = await meteredPrice(stripe, product.id, meter.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(
      subscriptionParams(customer, [item(fee, 1), item(calls)], { billing_cycle_anchor: anchor }),
    );
    expect(subscription.billing_cycle_anchor).toBe(anchor);

    await advance(stripe, clock, utc(2026, 3, 11));
    await usage(stack, meter, customer, [['10', utc(2026, 3, 10)]]);
    await advance(stripe, clock, afterGrace(second.start));

    const invoices = await invoicesOf(stripe, subscription);
    expect(invoices.map(summary)).toEqual([
      // 14 of the 28 days from February 15th to the anchor: half of 31.00.
      expectedInvoice('subscription_create', 'open', atCreation(march.start), [line(fee, '1', 1550, partial), line(calls, '0', 0, partial)]),
      expectedInvoice('subscription_cycle', 'open', span(partial), [line(calls, '10', 50, partial), line(fee, '1', 3100, first)]),
      expectedInvoice('subscription_cycle', 'open', span(first), [line(calls, '0', 0, first), line(fee, '1', 3100, second)]),
    ]);
    expect(invoices[0]!.lines.data[0]!.parent?.subscription_item_details?.proration).toBe(true);
  });

  it('bills last and count meters, and bills a period whose total is negative at zero', async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const [seats, calls, credits] = await Promise.all([newMeter(stripe, 'last'), newMeter(stripe, 'count'), newMeter(stripe, 'sum')]);
    const perSeat = await meteredPrice(stripe, product.id, seats.id, { unit_amount: 100 });
    const perCall = await meteredPrice(stripe, product.id, calls.id, { unit_amount_decimal: decimal('2') });
    const perToken = await meteredPrice(stripe, product.id, credits.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(perSeat), item(perCall), item(perToken)]));

    await advance(stripe, clock, utc(2026, 3, 21));
    await usage(stack, seats, customer, [['5', utc(2026, 3, 2)], ['3', utc(2026, 3, 20)]]);
    await usage(stack, calls, customer, [['1', utc(2026, 3, 2)], ['7', utc(2026, 3, 3)], ['-2', utc(2026, 3, 4)]]);
    await usage(stack, credits, customer, [['10', utc(2026, 3, 2)], ['-15', utc(2026, 3, 20)]]);
    await advance(stripe, clock, afterGrace(april.start));

    const [, cycle] = await invoicesOf(stripe, subscription);
    // Last seat count 3: 3.00. Three calls: 6 cents. Tokens 10 - 15 = -5: quantity 0, nothing due.
    expect(summary(cycle!)).toEqual(
      expectedInvoice('subscription_cycle', 'open', span(march), [
        line(perSeat, '3', 300, march),
        line(perCall, '3', 6, march),
        line(perToken, '0', 0, march),
      ]),
    );
  });
});
