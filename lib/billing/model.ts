import type { Price } from '../catalog/prices';
import type { Metadata } from '../domain/metadata';
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
}

export type SubscriptionStatus = 'active' | 'canceled';

/** Stripe's Subscription, as returned by the API. */
export interface Subscription {
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

export type { InvoiceStatus } from '../domain/invoice-states';
import type { InvoiceStatus } from '../domain/invoice-states';

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
export interface Invoice {
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


