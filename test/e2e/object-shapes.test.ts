import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { stripeObjectKeys } from '../support/stripe-shapes';
import { invoicesOf, item, licensedPrice, meteredPrice, newMeter, subscriptionParams } from '../fixtures/billing';
import { productParams } from '../fixtures/catalog';
import { customerParams } from '../fixtures/stripe';

/**
 * Fields Stripe always sends although its types mark them optional (`?`): they are absent only
 * on deleted objects or when a feature is off, and typed client code reads them.
 */
const ALWAYS_SENT: Record<string, string[]> = {
  Customer: ['address', 'currency', 'delinquent', 'discount', 'invoice_prefix', 'name', 'next_invoice_sequence', 'phone', 'preferred_locales', 'tax_exempt', 'test_clock'],
  Invoice: ['hosted_invoice_url', 'invoice_pdf', 'auto_advance'],
  Subscription: [],
  SubscriptionItem: [],
  InvoiceLineItem: [],
};

const missing = (object: object, keys: string[]) => keys.filter((key) => !(key in object));

describe("our objects have every field of Stripe's types", () => {
  const { stack } = useStack();
  const shapes = stripeObjectKeys(Object.keys(ALWAYS_SENT));

  it('customers, subscriptions, subscription items, invoices and their lines', async () => {
    const { stripe } = stack;
    const customer = await stripe.customers.create(customerParams({ name: 'Shape' }));
    const product = await stripe.products.create(productParams());
    const meter = await newMeter(stripe);
    const seats = await licensedPrice(stripe, product.id);
    const usage = await meteredPrice(stripe, product.id, meter.id);
    const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(seats, 2), item(usage)]));
    const [invoice] = await invoicesOf(stripe, subscription);
    const objects: Record<string, object[]> = {
      Customer: [customer, await stripe.customers.retrieve(customer.id)],
      Subscription: [subscription],
      SubscriptionItem: subscription.items.data,
      Invoice: [invoice!],
      InvoiceLineItem: invoice!.lines.data,
    };
    const gaps = Object.fromEntries(
      Object.entries(objects).map(([type, list]) => [type, [...new Set(list.flatMap((o) => missing(o, [...shapes[type]!.required, ...ALWAYS_SENT[type]!])))]]),
    );
    expect(gaps).toEqual({ Customer: [], Subscription: [], SubscriptionItem: [], Invoice: [], InvoiceLineItem: [] });
  });
});
