import { FEEDBACK } from '../../billing/cancel-subscription';
import { MAX_ITEMS, PAYMENT_BEHAVIOR, PRORATION } from '../../billing/create-subscription';
import { SUBSCRIPTION_LIST_STATUSES } from '../../billing/list-subscriptions';
import { INVOICE_STATUSES } from '../../domain/invoice-states';
import { listParams, p, params, refuse } from '../../http/schema';

/** POST /v1/subscriptions: 1 to 20 items, each a recurring price (checked by the capability). */
export const createSubscription = params({
  customer: p.string(),
  items: p.optionalObjectList({ price: p.string(), quantity: p.optionalInteger({ min: 0 }), metadata: p.metadata() }, (list) => {
    if (list.length === 0) refuse('A subscription needs at least one item.');
    if (list.length > MAX_ITEMS) refuse(`A subscription can have at most ${MAX_ITEMS} items.`);
  }),
  billing_cycle_anchor: p.optionalInteger({ min: 0 }),
  cancel_at_period_end: p.optionalBoolean(),
  currency: p.optionalString(),
  description: p.nullableString({ maxLength: 500 }),
  metadata: p.metadata(),
  proration_behavior: p.optionalEnum(PRORATION),
  payment_behavior: p.optionalEnum(PAYMENT_BEHAVIOR),
  collection_method: p.optionalEnum(['charge_automatically']),
});

/** POST /v1/subscriptions/:id: each item adds a price (no id), changes an item, or removes it (`deleted`). */
export const updateSubscription = params({
  cancel_at_period_end: p.optionalBoolean(),
  description: p.nullableString({ maxLength: 500 }),
  metadata: p.metadata(),
  proration_behavior: p.optionalEnum(PRORATION),
  items: p.optionalObjectList({
    id: p.optionalString(),
    deleted: p.optionalBoolean(),
    clear_usage: p.optionalBoolean(),
    price: p.optionalString(),
    quantity: p.optionalInteger({ min: 0 }),
    metadata: p.metadata(),
  }),
});

/** DELETE /v1/subscriptions/:id. */
export const cancelSubscription = params({
  invoice_now: p.optionalBoolean(),
  prorate: p.optionalBoolean(),
  cancellation_details: p.optionalObject({
    comment: p.nullableString({ maxLength: 5000 }),
    feedback: p.nullableEnum(FEEDBACK),
  }),
});

/** GET /v1/subscriptions. */
export const listSubscriptions = listParams({
  customer: p.optionalString(),
  status: p.optionalEnum(SUBSCRIPTION_LIST_STATUSES),
  price: p.optionalString(),
  test_clock: p.optionalString(),
});

/** GET /v1/billing/invoiced_totals (Meterline's extension). */
export const invoicedTotals = params({ month: p.string({ pattern: /^\d{4}-(0[1-9]|1[0-2])$/ }) });

/** POST /v1/invoices/create_preview. */
export const previewInvoice = params({ customer: p.optionalString(), subscription: p.optionalString() });

/** GET /v1/invoices/:id/lines. */
export const listInvoiceLines = listParams();

/** POST /v1/invoices/:id/finalize (`auto_advance` is accepted and has no effect). */
export const finalizeInvoice = params({ auto_advance: p.optionalBoolean() });

/** POST /v1/invoices/:id/pay: only payments made elsewhere are recorded. */
export const payInvoice = params({ paid_out_of_band: p.optionalBoolean() });

/** GET /v1/invoices. */
export const listInvoices = listParams({
  customer: p.optionalString(),
  subscription: p.optionalString(),
  status: p.optionalEnum(INVOICE_STATUSES),
  test_clock: p.optionalString(),
});
