/**
 * Stripe's object shapes, complete: the fields of Stripe's Customer, Invoice, Subscription and
 * SubscriptionItem for features Meterline does not have (payments, taxes, shipping costs,
 * Connect, trials) hold null or Stripe's default. They are added where objects leave Meterline
 * (API responses, webhook payloads, EventBridge entries), not stored: every stored invoice and
 * subscription, and every event that carries one, stays as small as its own data (DynamoDB
 * charges writes by the kilobyte, and billing writes each object in transactions).
 */

const INVOICE = {
  account_tax_ids: null,
  application: null,
  automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
  customer_account: null,
  default_payment_method: null,
  default_source: null,
  default_tax_rates: [],
  from_invoice: null,
  issuer: { type: 'self' },
  last_finalization_error: null,
  latest_revision: null,
  next_payment_attempt: null,
  on_behalf_of: null,
  payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
  receipt_number: null,
  rendering: null,
  shipping_cost: null,
  shipping_details: null,
  statement_descriptor: null,
  // Invoices finalized before Meterline made invoice documents have none.
  hosted_invoice_url: null,
  invoice_pdf: null,
  custom_fields: null,
  footer: null,
  customer_address: null,
  customer_phone: null,
  customer_shipping: null,
  customer_tax_exempt: 'none',
};

const SUBSCRIPTION = {
  application: null,
  application_fee_percent: null,
  automatic_tax: { disabled_reason: null, enabled: false, liability: null },
  billing_cycle_anchor_config: null,
  billing_mode: { flexible: null, type: 'classic' },
  billing_schedules: [],
  billing_thresholds: null,
  customer_account: null,
  default_payment_method: null,
  default_source: null,
  invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
  managed_payments: null,
  next_pending_invoice_item_invoice: null,
  on_behalf_of: null,
  pause_collection: null,
  payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
  pending_invoice_item_interval: null,
  pending_setup_intent: null,
  pending_update: null,
  schedule: null,
  transfer_data: null,
  trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
};

const CUSTOMER = {
  balance: 0,
  currency: null,
  default_source: null,
  delinquent: false,
  discount: null,
};

/** A customer's invoice settings before any are set. */
export const EMPTY_INVOICE_SETTINGS = { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null };

/**
 * The invoice details of a customer created before Meterline took them: none, numbering from 1
 * with a prefix derived from the customer's id (stable, so its numbers never change).
 */
export function legacyInvoiceDetails(customerId: string) {
  return {
    address: null,
    shipping: null,
    preferred_locales: [] as string[],
    invoice_settings: EMPTY_INVOICE_SETTINGS,
    invoice_prefix: customerId.slice(-8).toUpperCase(),
    next_invoice_sequence: 1,
    tax_exempt: 'none' as const,
  };
}

/** The recurring price of a subscription item in Stripe's older `plan` shape, which typed clients still read. */
function planOf(price: Record<string, any>) {
  const recurring = price.recurring ?? {};
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount ?? null,
    amount_decimal: price.unit_amount_decimal ?? null,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval ?? null,
    interval_count: recurring.interval_count ?? null,
    livemode: price.livemode,
    metadata: price.metadata ?? {},
    meter: recurring.meter ?? null,
    nickname: price.nickname ?? null,
    product: price.product,
    tiers_mode: price.tiers_mode ?? null,
    transform_usage: price.transform_quantity ?? null,
    trial_period_days: null,
    usage_type: recurring.usage_type ?? 'licensed',
  };
}

/** An object as Stripe shows it: its stored fields over Stripe's defaults for the fields Meterline has no data for. */
export function withStripeShape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const object = value as Record<string, any>;
  if ('deleted' in object) return value;
  switch (object.object) {
    case 'invoice':
      return { ...INVOICE, ...object };
    case 'subscription':
      return { ...SUBSCRIPTION, ...object };
    case 'subscription_item':
      return { billing_thresholds: null, current_trial: null, plan: object.price ? planOf(object.price) : null, ...object };
    case 'customer':
      return { ...CUSTOMER, ...legacyInvoiceDetails(String(object.id ?? '')), ...object };
    default:
      return value;
  }
}

/** JSON of a value with every object in it in Stripe's complete shape (responses, webhook payloads, bus entries). */
export function stripeJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested) => withStripeShape(nested));
}
