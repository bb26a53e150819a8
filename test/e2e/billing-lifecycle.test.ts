import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { decimal } from '../fixtures/catalog';
import { DAY, drained, expectInvalid, expectStripeError, HOUR, MINUTE, streamClient } from '../fixtures/stripe';
import {
  advance,
  april,
  clockedCustomer,
  expectedInvoice,
  GRACE,
  invoicesOf,
  item,
  licensedPrice,
  line,
  lineSummary,
  march,
  meteredPrice,
  newMeter,
  subscriptionParams,
  summary,
  usage,
  utc,
} from '../fixtures/billing';

describe('the billing lifecycle', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  const span = (p: { start: number; end: number }): [number, number] => [p.start, p.end];

  /** A customer on a clock at March 1st with a 10.00 fee plus 5 cents a call, and the pieces to drive it. */
  async function subscribed(overrides: Partial<Stripe.SubscriptionCreateParams> = {}) {
    const world = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const fee = await licensedPrice(stripe, world.product.id, { unit_amount: 1000 });
    const calls = await meteredPrice(stripe, world.product.id, meter.id, { unit_amount_decimal: decimal('5') });
    const subscription = await stripe.subscriptions.create(subscriptionParams(world.customer, [item(fee, 1), item(calls)], overrides));
    return { ...world, meter, fee, calls, subscription };
  }

  /** A subscription whose March invoice is open (10 calls and April's fee: 10.50). */
  async function withOpenInvoice() {
    const world = await subscribed();
    await advance(stripe, world.clock, utc(2026, 3, 21));
    await usage(stack, world.meter, world.customer, [['10', utc(2026, 3, 20)]]);
    await advance(stripe, world.clock, april.start + 2 * HOUR);
    const [, invoice] = await invoicesOf(stripe, world.subscription);
    expect(invoice).toMatchObject({ status: 'open', total: 1050, amount_due: 1050, amount_remaining: 1050 });
    return { ...world, invoice: invoice! };
  }

  describe('invoice actions', () => {
    it('finalizes a draft by hand before its grace period ends, and the billing cycle leaves it as it is', async () => {
      const { clock, customer, meter, subscription, calls, fee } = await subscribed();
      await advance(stripe, clock, utc(2026, 3, 21));
      await usage(stack, meter, customer, [['10', utc(2026, 3, 20)]]);
      await advance(stripe, clock, april.start + 10 * MINUTE);
      const [, draft] = await invoicesOf(stripe, subscription);
      expect(draft).toMatchObject({ status: 'draft', automatically_finalizes_at: april.start + GRACE });

      const finalized = await stripe.invoices.finalizeInvoice(draft!.id);
      expect(finalized).toMatchObject({ status: 'open', total: 1050, automatically_finalizes_at: null });
      expect(finalized.status_transitions.finalized_at).toBe(april.start + 10 * MINUTE);

      // Late usage within what would have been the grace period no longer changes it.
      await usage(stack, meter, customer, [['4', april.start - MINUTE]]);
      await advance(stripe, clock, april.start + 2 * HOUR);
      const after = await stripe.invoices.retrieve(draft!.id);
      expect(summary(after)).toEqual(
        expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '10', 50, march), line(fee, '1', 1000, april)]),
      );
      expect(after.status_transitions.finalized_at).toBe(april.start + 10 * MINUTE);
      expect(after.number).toBe(finalized.number);
    });

    it('voids an open invoice, and a void invoice cannot be voided, paid or finalized again', async () => {
      const { invoice } = await withOpenInvoice();
      const voided = await stripe.invoices.voidInvoice(invoice.id);
      expect(voided).toMatchObject({ status: 'void', total: 1050, amount_remaining: 0 });
      expect(voided.status_transitions.voided_at).toBe(april.start + 2 * HOUR);
      await expectInvalid(stripe.invoices.voidInvoice(invoice.id), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.pay(invoice.id, { paid_out_of_band: true }), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.finalizeInvoice(invoice.id), undefined, 'invoice_not_editable');
      expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'void' });
    });

    it('records a payment made out of band, after which the invoice is settled', async () => {
      const { invoice } = await withOpenInvoice();
      const paid = await stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
      expect(paid).toMatchObject({ status: 'paid', amount_due: 1050, amount_paid: 1050, amount_remaining: 0 });
      expect(paid.status_transitions.paid_at).toBe(april.start + 2 * HOUR);
      await expectInvalid(stripe.invoices.pay(invoice.id, { paid_out_of_band: true }), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.voidInvoice(invoice.id), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.markUncollectible(invoice.id), undefined, 'invoice_not_editable');
    });

    it('marks an open invoice uncollectible, which can still be paid later', async () => {
      const { invoice } = await withOpenInvoice();
      const written = await stripe.invoices.markUncollectible(invoice.id);
      expect(written).toMatchObject({ status: 'uncollectible', amount_remaining: 1050 });
      expect(written.status_transitions.marked_uncollectible_at).toBe(april.start + 2 * HOUR);
      await expectInvalid(stripe.invoices.markUncollectible(invoice.id), undefined, 'invoice_not_editable');
      const paid = await stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
      expect(paid).toMatchObject({ status: 'paid', amount_paid: 1050, amount_remaining: 0 });
    });

    it('refuses to finalize an open invoice or to void, pay or write off a draft', async () => {
      const { clock, subscription } = await subscribed();
      const first = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      await expectInvalid(stripe.invoices.finalizeInvoice(first.id), undefined, 'invoice_not_editable');
      await advance(stripe, clock, april.start + MINUTE);
      const [, draft] = await invoicesOf(stripe, subscription);
      expect(draft!.status).toBe('draft');
      await expectInvalid(stripe.invoices.voidInvoice(draft!.id), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.pay(draft!.id, { paid_out_of_band: true }), undefined, 'invoice_not_editable');
      await expectInvalid(stripe.invoices.markUncollectible(draft!.id), undefined, 'invoice_not_editable');
      expect(await stripe.invoices.retrieve(draft!.id)).toMatchObject({ status: 'draft', total: 1000 });
    });
  });

  describe('lists', () => {
    it('lists subscriptions by customer, status and price, leaving canceled ones out by default, a page at a time', async () => {
      const { customer, fee, calls, subscription: both } = await subscribed();
      const feeOnly = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 2)]));
      const ended = await stripe.subscriptions.create(subscriptionParams(customer, [item(calls)]));
      await stripe.subscriptions.cancel(ended.id);
      const ids = async (params: Stripe.SubscriptionListParams) =>
        (await stripe.subscriptions.list({ customer: customer.id, ...params })).data.map((s) => s.id);

      expect(await ids({})).toEqual([feeOnly.id, both.id]);
      expect(await ids({ status: 'active' })).toEqual([feeOnly.id, both.id]);
      expect(await ids({ status: 'canceled' })).toEqual([ended.id]);
      expect(await ids({ status: 'all' })).toEqual([ended.id, feeOnly.id, both.id]);
      expect(await ids({ price: calls.id })).toEqual([both.id]);
      expect(await ids({ price: calls.id, status: 'all' })).toEqual([ended.id, both.id]);

      const page1 = await stripe.subscriptions.list({ customer: customer.id, status: 'all', limit: 2 });
      expect([page1.data.map((s) => s.id), page1.has_more]).toEqual([[ended.id, feeOnly.id], true]);
      const page2 = await stripe.subscriptions.list({ customer: customer.id, status: 'all', limit: 2, starting_after: feeOnly.id });
      expect([page2.data.map((s) => s.id), page2.has_more]).toEqual([[both.id], false]);
      const back = await stripe.subscriptions.list({ customer: customer.id, status: 'all', limit: 2, ending_before: both.id });
      expect(back.data.map((s) => s.id)).toEqual([ended.id, feeOnly.id]);
    });

    it('lists invoices by customer, subscription and status, a page at a time', async () => {
      const { clock, customer, fee, subscription } = await subscribed();
      const other = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 3)]));
      await advance(stripe, clock, april.start + 2 * HOUR);
      const [create, cycle] = await invoicesOf(stripe, subscription);
      const [otherCreate, otherCycle] = await invoicesOf(stripe, other);
      const ids = async (params: Stripe.InvoiceListParams) => (await stripe.invoices.list(params)).data.map((i) => i.id);

      expect(await ids({ subscription: subscription.id })).toEqual([cycle!.id, create!.id]);
      expect(await ids({ customer: customer.id })).toHaveLength(4);
      expect(new Set(await ids({ customer: customer.id }))).toEqual(new Set([create!.id, cycle!.id, otherCreate!.id, otherCycle!.id]));
      await stripe.invoices.pay(cycle!.id, { paid_out_of_band: true });
      expect(await ids({ customer: customer.id, status: 'paid' })).toEqual([cycle!.id]);
      expect(await ids({ subscription: other.id, status: 'open' })).toEqual([otherCycle!.id, otherCreate!.id]);
      expect(await ids({ customer: customer.id, status: 'draft' })).toEqual([]);

      const page1 = await stripe.invoices.list({ subscription: subscription.id, limit: 1 });
      expect([page1.data.map((i) => i.id), page1.has_more]).toEqual([[cycle!.id], true]);
      const page2 = await stripe.invoices.list({ subscription: subscription.id, limit: 1, starting_after: cycle!.id });
      expect([page2.data.map((i) => i.id), page2.has_more]).toEqual([[create!.id], false]);
    });

    it('pages through the lines of an invoice', async () => {
      const { customer, product, fee, calls } = await subscribed();
      const support = await licensedPrice(stripe, product.id, { unit_amount: 250 });
      const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 2), item(calls), item(support, 1)]));
      const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
      const [a, b, c] = invoice.lines.data;
      expect([a, b, c].map((l) => lineSummary(l!))).toEqual([
        line(fee, '2', 2000, march),
        line(calls, '0', 0, march),
        line(support, '1', 250, march),
      ]);
      expect(invoice.total).toBe(2250);

      const page1 = await stripe.invoices.listLineItems(invoice.id, { limit: 2 });
      expect([page1.data.map((l) => l.id), page1.has_more]).toEqual([[a!.id, b!.id], true]);
      const page2 = await stripe.invoices.listLineItems(invoice.id, { limit: 2, starting_after: b!.id });
      expect([page2.data.map((l) => l.id), page2.has_more]).toEqual([[c!.id], false]);
      const back = await stripe.invoices.listLineItems(invoice.id, { limit: 2, ending_before: c!.id });
      expect([back.data.map((l) => l.id), back.has_more]).toEqual([[a!.id, b!.id], false]);
    });
  });

  describe('create_preview', () => {
    it('shows the next invoice as of now and writes nothing', async () => {
      const { clock, customer, meter, subscription, calls, fee } = await subscribed();
      await advance(stripe, clock, utc(2026, 3, 10));
      await usage(stack, meter, customer, [['10', utc(2026, 3, 5)]]);
      const sofar = { start: march.start, end: utc(2026, 3, 10) };

      const bySubscription = await stripe.invoices.createPreview({ subscription: subscription.id });
      expect(summary(bySubscription)).toEqual(
        expectedInvoice('upcoming', 'draft', span(march), [line(calls, '10', 50, sofar), line(fee, '1', 1000, april)]),
      );
      const byCustomer = await stripe.invoices.createPreview({ customer: customer.id });
      expect(summary(byCustomer)).toEqual(summary(bySubscription));
      expect(await invoicesOf(stripe, subscription)).toHaveLength(1);

      // The preview changed nothing: the period closes with all of March's usage.
      await usage(stack, meter, customer, [['2', utc(2026, 3, 9, 23)]]);
      await advance(stripe, clock, april.start + 2 * HOUR);
      const [, cycle] = await invoicesOf(stripe, subscription);
      expect(summary(cycle!)).toEqual(
        expectedInvoice('subscription_cycle', 'open', span(march), [line(calls, '12', 60, march), line(fee, '1', 1000, april)]),
      );
    });
  });

  describe('subscription updates', () => {
    it('adds an item, removes a metered one (billing its usage until removal), changes a quantity and metadata', async () => {
      const { clock, customer, product, meter, subscription, calls, fee } = await subscribed();
      const otherMeter = await newMeter(stripe);
      const minutes = await meteredPrice(stripe, product.id, otherMeter.id, { unit_amount_decimal: decimal('2') });
      const [feeItem, callsItem] = subscription.items.data;
      const changedAt = utc(2026, 3, 10);
      await advance(stripe, clock, changedAt);
      await usage(stack, meter, customer, [['10', utc(2026, 3, 5)]]);

      const updated = await stripe.subscriptions.update(subscription.id, {
        items: [{ id: callsItem!.id, deleted: true }, { price: minutes.id }, { id: feeItem!.id, quantity: 3 }],
        metadata: { plan: 'pro' },
      });
      expect(updated.metadata).toEqual({ plan: 'pro' });
      expect(updated.items.data.map((i) => [i.price.id, i.quantity ?? null])).toEqual([
        [fee.id, 3],
        [minutes.id, null],
      ]);

      await advance(stripe, clock, utc(2026, 3, 16));
      // Calls after the removal and minutes before the item existed are not billed.
      await usage(stack, meter, customer, [['6', utc(2026, 3, 15)]]);
      await usage(stack, otherMeter, customer, [['100', utc(2026, 3, 5)], ['4', utc(2026, 3, 15)]]);
      await advance(stripe, clock, april.start + 2 * HOUR);

      const [, cycle] = await invoicesOf(stripe, subscription);
      expect(summary(cycle!)).toEqual(
        expectedInvoice('subscription_cycle', 'open', span(march), [
          line(minutes, '4', 8, { start: changedAt, end: march.end }),
          line(calls, '10', 50, { start: march.start, end: changedAt }),
          line(fee, '3', 3000, april),
        ]),
      );
      expect((await stripe.subscriptions.retrieve(subscription.id)).metadata).toEqual({ plan: 'pro' });
    });
  });

  describe('cancellation', () => {
    it('cancels with invoice_now at the very instant a period began, with a final invoice of nothing', async () => {
      const { clock, customer, calls, subscription } = await subscribed();
      const immediate = await stripe.subscriptions.create(subscriptionParams(customer, [item(calls)]));
      const endedAtOnce = await stripe.subscriptions.cancel(immediate.id, { invoice_now: true });
      expect(endedAtOnce).toMatchObject({ status: 'canceled', ended_at: march.start });
      const instant = { start: march.start, end: march.start };
      expect(summary(await stripe.invoices.retrieve(endedAtOnce.latest_invoice as string))).toEqual(
        expectedInvoice('subscription_update', 'draft', span(instant), [line(calls, '0', 0, instant)]),
      );

      await advance(stripe, clock, april.start);
      const endedAtBoundary = await stripe.subscriptions.cancel(subscription.id, { invoice_now: true });
      expect(endedAtBoundary).toMatchObject({ status: 'canceled', ended_at: april.start });
      await advance(stripe, clock, april.start + 2 * HOUR);
      const boundary = { start: april.start, end: april.start };
      expect((await invoicesOf(stripe, subscription)).map(summary).slice(1)).toEqual([
        expect.objectContaining({ billing_reason: 'subscription_cycle', status: 'open', total: 1000 }),
        expectedInvoice('subscription_update', 'paid', span(boundary), [line(calls, '0', 0, boundary)]),
      ]);
    });

    it('cancels every subscription of a deleted customer, and bills it no more', async () => {
      const { clock, customer, calls, subscription } = await subscribed();
      const second = await stripe.subscriptions.create(subscriptionParams(customer, [item(calls)]));
      await stripe.customers.del(customer.id);
      for (const id of [subscription.id, second.id]) {
        expect(await stripe.subscriptions.retrieve(id)).toMatchObject({ status: 'canceled', ended_at: march.start });
      }
      await advance(stripe, clock, april.start + 2 * HOUR);
      expect(await invoicesOf(stripe, subscription)).toHaveLength(1);
    });
  });

  describe('events', () => {
    it('records invoice.created and invoice.finalized once each, at the clock\'s time, readable through GET /v1/events', async () => {
      const { invoice } = await withOpenInvoice();
      const ofInvoice = async (type: string) =>
        (await stripe.events.list({ type, limit: 100 })).data.filter((event) => (event.data.object as { id: string }).id === invoice.id);
      const [created] = await ofInvoice('invoice.created');
      const finalized = await ofInvoice('invoice.finalized');
      expect(finalized).toHaveLength(1);
      expect(created).toMatchObject({ object: 'event', created: april.start, livemode: false });
      expect(finalized[0]).toMatchObject({ created: april.start + GRACE, data: { object: { status: 'open', total: 1050 } } });
      expect(await stripe.events.retrieve(finalized[0]!.id)).toEqual(finalized[0]);
    });
  });

  describe('test clocks', () => {
    it('times events sent without a timestamp at the clock\'s frozen time, synchronously validated or streamed', async () => {
      const { clock, customer, meter, calls, subscription } = await subscribed();
      await advance(stripe, clock, march.start + 10 * DAY);
      const single = await stripe.billing.meterEvents.create({ event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value: '2' } });
      expect(single.timestamp).toBe(march.start + 10 * DAY);
      const stream = await streamClient(stack);
      await stream.v2.billing.meterEventStream.create({
        events: [{ event_name: meter.event_name, payload: { stripe_customer_id: customer.id, value: '3' } }],
      });
      await drained(stack);
      await advance(stripe, clock, april.start + 2 * HOUR);
      const [, march_] = await invoicesOf(stripe, subscription);
      const usageLine = march_!.lines.data.find((l) => l.pricing?.price_details?.price === calls.id)!;
      expect([String(usageLine.quantity_decimal), usageLine.amount]).toEqual(['5', 25]);
    });

    it('lists, retrieves and deletes clocks, and never moves one backwards', async () => {
      const { clock, customer } = await clockedCustomer(stripe, march.start);
      expect(customer).toMatchObject({ test_clock: clock.id, created: march.start });
      const listed = await stripe.testHelpers.testClocks.list({ limit: 100 });
      expect(listed.data.map((c) => c.id)).toContain(clock.id);
      expect(await stripe.testHelpers.testClocks.retrieve(clock.id)).toMatchObject({
        id: clock.id,
        object: 'test_helpers.test_clock',
        frozen_time: march.start,
        status: 'ready',
      });

      await expectInvalid(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: march.start - 1 }), 'frozen_time');
      await expectInvalid(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: march.start }), 'frozen_time');
      expect((await stripe.testHelpers.testClocks.retrieve(clock.id)).frozen_time).toBe(march.start);

      expect(await stripe.testHelpers.testClocks.del(clock.id)).toMatchObject({ id: clock.id, deleted: true });
      await expectStripeError(stripe.testHelpers.testClocks.retrieve(clock.id), Stripe.errors.StripeInvalidRequestError, {
        statusCode: 404,
        param: 'id',
      });
      const after = await stripe.testHelpers.testClocks.list({ limit: 100 });
      expect(after.data.map((c) => c.id)).not.toContain(clock.id);
    });
  });
});
