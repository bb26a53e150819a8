import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { oneTimePriceParams } from '../fixtures/catalog';
import { customerParams, expectStripeError, loose } from '../fixtures/stripe';
import { clockedCustomer, GRACE, item, licensedPrice, march, meteredPrice, newMeter, subscriptionParams } from '../fixtures/billing';

describe('bad billing requests', () => {
  const { stack, stripe } = useStack({ invoiceGraceSeconds: GRACE });

  /** Everything the requests below could have written. */
  let world: {
    clock: Stripe.TestHelpers.TestClock;
    customer: Stripe.Customer;
    fee: Stripe.Price;
    eurFee: Stripe.Price;
    weeklyFee: Stripe.Price;
    calls: Stripe.Price;
    oneTime: Stripe.Price;
    retired: Stripe.Price;
    subscription: Stripe.Subscription;
    invoice: Stripe.Invoice;
  };

  beforeAll(async () => {
    const { clock, customer, product } = await clockedCustomer(stripe, march.start);
    const meter = await newMeter(stripe);
    const [fee, eurFee, weeklyFee, calls, oneTime, retired] = await Promise.all([
      licensedPrice(stripe, product.id),
      licensedPrice(stripe, product.id, { currency: 'eur' }),
      licensedPrice(stripe, product.id, { recurring: { interval: 'week' } }),
      meteredPrice(stripe, product.id, meter.id),
      stripe.prices.create(oneTimePriceParams(product.id)),
      licensedPrice(stripe, product.id, { active: false, unit_amount: 700 }),
    ]);
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(fee, 1), item(calls)]));
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    world = { clock, customer, fee, eurFee, weeklyFee, calls, oneTime, retired, subscription, invoice };
  });

  /** The state every bad request must leave as it was. */
  async function everything() {
    const { customer, subscription, invoice, clock } = world;
    const [subscriptions, invoices, clocks, customers, current, latest, frozen] = await Promise.all([
      stripe.subscriptions.list({ customer: customer.id, status: 'all', limit: 100 }),
      stripe.invoices.list({ customer: customer.id, limit: 100 }),
      stripe.testHelpers.testClocks.list({ limit: 100 }),
      stripe.customers.list({ limit: 100 }),
      stripe.subscriptions.retrieve(subscription.id),
      stripe.invoices.retrieve(invoice.id),
      stripe.testHelpers.testClocks.retrieve(clock.id),
    ]);
    return JSON.parse(
      JSON.stringify({
        subscriptions: subscriptions.data,
        invoices: invoices.data,
        clocks: clocks.data,
        customers: customers.data.map((c) => c.id),
        current,
        latest,
        frozen,
      }),
    ) as unknown;
  }

  const create = (items: Stripe.SubscriptionCreateParams.Item[], overrides: Partial<Stripe.SubscriptionCreateParams> = {}) =>
    stripe.subscriptions.create(subscriptionParams(world.customer, items, overrides));
  const update = (params: Stripe.SubscriptionUpdateParams) => stripe.subscriptions.update(world.subscription.id, params);
  const feeItem = () => world.subscription.items.data[0]!;
  const callsItem = () => world.subscription.items.data[1]!;

  interface BadRequest {
    name: string;
    send: () => Promise<unknown>;
    status: 400 | 404;
    param: string | undefined;
  }

  const cases: BadRequest[] = [
    // Creating subscriptions
    { name: 'prices in two currencies', send: () => create([item(world.fee, 1), item(world.eurFee, 1)]), status: 400, param: 'items[1][price]' },
    { name: 'prices with two intervals', send: () => create([item(world.fee, 1), item(world.weeklyFee, 1)]), status: 400, param: 'items[1][price]' },
    { name: 'a metered item with a quantity', send: () => create([item(world.calls, 2)]), status: 400, param: 'items[0][quantity]' },
    { name: 'a one-time price', send: () => create([item(world.oneTime, 1)]), status: 400, param: 'items[0][price]' },
    { name: 'an inactive price', send: () => create([item(world.retired, 1)]), status: 400, param: 'items[0][price]' },
    { name: 'an unknown price', send: () => create([{ price: 'price_nope' }]), status: 400, param: 'items[0][price]' },
    {
      name: 'an unknown customer',
      send: () => stripe.subscriptions.create({ customer: 'cus_nope', items: [item(world.fee, 1)] }),
      status: 400,
      param: 'customer',
    },
    { name: 'the same price twice', send: () => create([item(world.fee, 1), item(world.fee, 2)]), status: 400, param: 'items[1][price]' },
    {
      name: 'a billing_cycle_anchor in the past',
      send: () => create([item(world.fee, 1)], { billing_cycle_anchor: march.start - 1 }),
      status: 400,
      param: 'billing_cycle_anchor',
    },
    {
      name: 'a billing_cycle_anchor beyond the first period',
      send: () => create([item(world.fee, 1)], { billing_cycle_anchor: march.end + 1 }),
      status: 400,
      param: 'billing_cycle_anchor',
    },
    {
      name: 'a billing_cycle_anchor that is not a time',
      send: () => create([item(world.fee, 1)], loose({ billing_cycle_anchor: 'soon' })),
      status: 400,
      param: 'billing_cycle_anchor',
    },
    { name: 'too many items', send: () => create(Array.from({ length: 21 }, () => item(world.fee, 1))), status: 400, param: 'items' },
    { name: 'no items', send: () => stripe.subscriptions.create(loose({ customer: world.customer.id })), status: 400, param: 'items' },
    { name: 'an unknown parameter', send: () => create([item(world.fee, 1)], loose({ colour: 'red' })), status: 400, param: 'colour' },
    {
      name: 'an unknown item parameter',
      send: () => create([loose({ price: world.fee.id, colour: 'red' })]),
      status: 400,
      param: 'items[0][colour]',
    },
    { name: 'a currency other than the prices\'', send: () => create([item(world.fee, 1)], { currency: 'eur' }), status: 400, param: 'currency' },
    {
      name: 'an unknown proration_behavior',
      send: () => create([item(world.fee, 1)], loose({ proration_behavior: 'sometimes' })),
      status: 400,
      param: 'proration_behavior',
    },
    { name: 'a negative quantity', send: () => create([item(world.fee, -1)]), status: 400, param: 'items[0][quantity]' },

    // Updating and canceling subscriptions
    {
      name: 'a quantity for a metered item',
      send: () => update({ items: [{ id: callsItem().id, quantity: 2 }] }),
      status: 400,
      param: 'items[0][quantity]',
    },
    { name: 'an unknown subscription item', send: () => update({ items: [{ id: 'si_nope', quantity: 2 }] }), status: 400, param: 'items[0][id]' },
    {
      name: 'a new price for an existing item',
      send: () => update({ items: [{ id: feeItem().id, price: world.weeklyFee.id }] }),
      status: 400,
      param: 'items[0][price]',
    },
    {
      name: 'removing every item',
      send: () => update({ items: [{ id: feeItem().id, deleted: true }, { id: callsItem().id, deleted: true }] }),
      status: 400,
      param: 'items',
    },
    { name: 'adding a price in another currency', send: () => update({ items: [{ price: world.eurFee.id }] }), status: 400, param: 'items[0][price]' },
    { name: 'updating an unknown subscription', send: () => stripe.subscriptions.update('sub_nope', { metadata: { a: 'b' } }), status: 404, param: 'id' },
    { name: 'canceling an unknown subscription', send: () => stripe.subscriptions.cancel('sub_nope'), status: 404, param: 'id' },
    {
      name: 'listing the subscriptions of an unknown customer',
      send: () => stripe.subscriptions.list({ customer: 'cus_nope' }),
      status: 400,
      param: 'customer',
    },
    { name: 'an unknown subscription status', send: () => stripe.subscriptions.list(loose({ status: 'sleeping' })), status: 400, param: 'status' },

    // Invoices
    { name: 'paying without paid_out_of_band', send: () => stripe.invoices.pay(world.invoice.id), status: 400, param: 'paid_out_of_band' },
    {
      name: 'paying with paid_out_of_band=false',
      send: () => stripe.invoices.pay(world.invoice.id, { paid_out_of_band: false }),
      status: 400,
      param: 'paid_out_of_band',
    },
    { name: 'paying an unknown invoice', send: () => stripe.invoices.pay('in_nope', { paid_out_of_band: true }), status: 404, param: 'id' },
    { name: 'voiding with an unknown parameter', send: () => stripe.invoices.voidInvoice(world.invoice.id, loose({ colour: 'red' })), status: 400, param: 'colour' },
    { name: 'a preview of nobody', send: () => stripe.invoices.createPreview({}), status: 400, param: 'customer' },
    { name: 'a preview for an unknown customer', send: () => stripe.invoices.createPreview({ customer: 'cus_nope' }), status: 400, param: 'customer' },
    { name: 'an unknown invoice status', send: () => stripe.invoices.list(loose({ status: 'lost' })), status: 400, param: 'status' },
    {
      name: 'lines after an unknown line',
      send: () => stripe.invoices.listLineItems(world.invoice.id, { starting_after: 'il_nope' }),
      status: 400,
      param: 'starting_after',
    },

    // Test clocks
    { name: 'a clock without frozen_time', send: () => stripe.testHelpers.testClocks.create(loose({ name: 'no time' })), status: 400, param: 'frozen_time' },
    {
      name: 'moving a clock backwards',
      send: () => stripe.testHelpers.testClocks.advance(world.clock.id, { frozen_time: march.start - 60 }),
      status: 400,
      param: 'frozen_time',
    },
    {
      name: 'advancing an unknown clock',
      send: () => stripe.testHelpers.testClocks.advance('clock_nope', { frozen_time: march.end }),
      status: 404,
      param: 'id',
    },
    {
      name: 'a customer on an unknown clock',
      send: () => stripe.customers.create(customerParams({ test_clock: 'clock_nope' })),
      status: 400,
      param: 'test_clock',
    },
  ];

  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('rejects $name ($status, param $param) and writes nothing', async ({ send, status, param }) => {
    const before = await everything();
    await expectStripeError(send(), Stripe.errors.StripeInvalidRequestError, {
      statusCode: status,
      rawType: 'invalid_request_error',
      param,
    });
    expect(await everything()).toEqual(before);
  });
});
