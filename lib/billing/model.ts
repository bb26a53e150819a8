import type { Price } from '../catalog/prices';
import type { Metadata } from '../http/params';
import type { Address, CustomField, Shipping, TaxExempt } from '../customers/invoice-details';
import type { BillingCycle as Cycle } from '../domain/periods';

/** A subscription item: one price on a subscription (Stripe's SubscriptionItem). */
export interface SubscriptionItem {
  id: string;
  object: 'subscription_item';
  created: number;
  current_period_start: number;
  current_period_end: number;
  discounts: string[];
  metadata: Metadata;
  price: Price;
  /** Licensed items only; metered items are billed by usage. */
  quantity?: number;
  subscription: string;
  tax_rates: [];
  billing_thresholds: null;
  current_trial: null;
  /** Stripe's older view of the price, which typed clients still read. */
  plan: Plan;
}

/** Stripe's Plan: the recurring price of a subscription item in the older shape. */
export interface Plan {
  id: string;
  object: 'plan';
  active: boolean;
  amount: number | null;
  amount_decimal: string | null;
  billing_scheme: Price['billing_scheme'];
  created: number;
  currency: string;
  interval: string;
  interval_count: number;
  livemode: boolean;
  metadata: Metadata;
  meter: string | null;
  nickname: string | null;
  product: string;
  tiers_mode: Price['tiers_mode'];
  transform_usage: { divide_by: number; round: 'down' | 'up' } | null;
  trial_period_days: null;
  usage_type: 'licensed' | 'metered';
}

/** The plan Stripe shows beside a subscription item's recurring price. */
export function planOf(price: Price): Plan {
  const recurring = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: recurring.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: price.transform_quantity,
    trial_period_days: null,
    usage_type: recurring.usage_type,
  };
}

export type SubscriptionStatus = 'active' | 'canceled';

/** Stripe's Subscription, as returned by the API. */
export interface Subscription extends SubscriptionStripeDefaults {
  id: string;
  object: 'subscription';
  billing_cycle_anchor: number;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string;
  days_until_due: null;
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  items: { object: 'list'; data: SubscriptionItem[]; has_more: false; total_count: number; url: string };
  latest_invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  start_date: number;
  status: SubscriptionStatus;
  test_clock: string | null;
  trial_end: null;
  trial_start: null;
}

/** A draft invoice waiting for its grace period to pass. */
export interface PendingDraft {
  invoice: string;
  finalize_at: number;
}

/** A metered item removed mid-period: its usage up to `ended_at` is billed when the period closes. */
export interface EndedItem {
  item: SubscriptionItem;
  ended_at: number;
}

/** What the billing cycle keeps about a subscription besides its API object. */
export interface BillingState {
  /** The due-index partition: a test clock id, or WALL_CLOCK. */
  clock: string;
  cycle: Cycle;
  /** Index of the current period (0 is the first). */
  period: number;
  drafts: PendingDraft[];
  ended_items: EndedItem[];
}

/** A subscription as stored: the API object, its billing state and an optimistic-lock version. */
export interface StoredSubscription {
  subscription: Subscription;
  billing: BillingState;
  version: number;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update' | 'manual' | 'upcoming';

/** Credits that paid part of a line or invoice before tax: one per credit balance transaction. */
export interface PretaxCreditAmount {
  amount: number;
  credit_balance_transaction: string;
  type: 'credit_balance_transaction';
}

/** Stripe's InvoiceLineItem. */
export interface InvoiceLine {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  discount_amounts: [];
  discountable: boolean;
  discounts: [];
  invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  parent: {
    type: 'subscription_item_details';
    invoice_item_details: null;
    subscription_item_details: {
      invoice_item: null;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string;
      subscription_item: string;
    };
  };
  period: { start: number; end: number };
  pretax_credit_amounts: PretaxCreditAmount[];
  /** The price object (Stripe's pre-2025 field, kept for readability). */
  price: Price;
  pricing: { type: 'price_details'; price_details: { price: string; product: string }; unit_amount_decimal: string | null };
  /** Usage lines carry the exact decimal quantity in quantity_decimal. */
  quantity: number;
  quantity_decimal: string;
  subscription: string;
  subtotal: number;
  taxes: [];
}

/** Stripe's Invoice. */
export interface Invoice extends InvoiceStripeDefaults {
  id: string;
  object: 'invoice';
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatically_finalizes_at: number | null;
  billing_reason: BillingReason;
  collection_method: 'charge_automatically';
  created: number;
  currency: string;
  customer: string;
  customer_email: string | null;
  customer_name: string | null;
  description: string | null;
  discounts: [];
  due_date: null;
  effective_at: number | null;
  ending_balance: number | null;
  lines: { object: 'list'; data: InvoiceLine[]; has_more: false; total_count: number; url: string };
  livemode: boolean;
  metadata: Metadata;
  number: string | null;
  parent: {
    type: 'subscription_details';
    quote_details: null;
    subscription_details: { metadata: Metadata; subscription: string };
  } | null;
  period_end: number;
  period_start: number;
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  starting_balance: number;
  status: InvoiceStatus;
  status_transitions: {
    finalized_at: number | null;
    marked_uncollectible_at: number | null;
    paid_at: number | null;
    voided_at: number | null;
  };
  /** Stripe's pre-2025 field, kept so invoices can be listed and read by subscription. */
  subscription: string | null;
  subtotal: number;
  subtotal_excluding_tax: number;
  test_clock: string | null;
  total: number;
  total_discount_amounts: [];
  total_excluding_tax: number;
  total_pretax_credit_amounts: PretaxCreditAmount[];
  total_taxes: [];
  webhooks_delivered_at: number | null;
  // What the invoice document shows: the seller (the stack's), the customer as of finalization.
  account_country: string;
  account_name: string;
  customer_address: Address | null;
  customer_phone: string | null;
  customer_shipping: Shipping | null;
  customer_tax_exempt: TaxExempt;
  custom_fields: CustomField[] | null;
  footer: string | null;
  /** The public page of a finalized invoice (null on drafts), reached through an unguessable token. */
  hosted_invoice_url: string | null;
  /** The PDF of the same document (null on drafts). */
  invoice_pdf: string | null;
}

/** Stripe's invoice fields for features Meterline does not have (payments, taxes, shipping, Connect): null or Stripe's default. */
export const INVOICE_STRIPE_DEFAULTS = {
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
} as const;

type InvoiceStripeDefaults = typeof INVOICE_STRIPE_DEFAULTS;

/** Stripe's subscription fields for features Meterline does not have: null or Stripe's default. */
export const SUBSCRIPTION_STRIPE_DEFAULTS = {
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
} as const;

type SubscriptionStripeDefaults = typeof SUBSCRIPTION_STRIPE_DEFAULTS;
