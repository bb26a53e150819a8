/** The API objects the console reads: only the fields it shows. */

export interface Customer {
  id: string;
  name: string | null;
  email: string | null;
  created: number;
  metadata: Record<string, string>;
  test_clock: string | null;
}

export interface Price {
  id: string;
  nickname: string | null;
  currency: string;
  unit_amount_decimal: string | null;
  recurring: { interval: string; usage_type: 'licensed' | 'metered'; meter: string | null } | null;
}

export interface SubscriptionItem {
  id: string;
  price: Price;
  quantity?: number;
  current_period_start: number;
  current_period_end: number;
}

export interface Subscription {
  id: string;
  customer: string;
  status: string;
  items: { data: SubscriptionItem[] };
}

export interface InvoiceLine {
  id: string;
  description: string;
  amount: number;
  currency: string;
  period: { start: number; end: number };
  quantity_decimal: string;
  pricing: { unit_amount_decimal: string | null };
}

export interface Invoice {
  id: string;
  number: string | null;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  currency: string;
  customer: string;
  customer_name: string | null;
  /** The customer's copy (finalized invoices only). */
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  created: number;
  period_start: number;
  period_end: number;
  subtotal: number;
  total: number;
  amount_due: number;
  amount_paid: number;
  automatically_finalizes_at: number | null;
  lines: { data: InvoiceLine[] };
  total_pretax_credit_amounts: { amount: number; credit_balance_transaction: string }[];
  status_transitions: { finalized_at: number | null; paid_at: number | null; voided_at: number | null; marked_uncollectible_at: number | null };
  /** Previews only (a Meterline extension): usage of the subscription's meters that none of its prices bills. */
  unpriced_usage?: UnpricedUsage[];
}

export interface UnpricedUsage {
  meter: string;
  dimensions: Record<string, string>;
  quantity: number;
  /** The same quantity, exact. */
  quantity_decimal?: string;
}

export interface Monetary {
  monetary: { currency: string; value: number } | null;
}

export interface CreditGrant {
  id: string;
  name: string | null;
  amount: Monetary;
  expires_at: number | null;
  voided_at: number | null;
  created: number;
}

export interface CreditTransaction {
  id: string;
  type: 'credit' | 'debit';
  credit_grant: string;
  effective_at: number;
  credit: { amount: Monetary; type: string } | null;
  debit: { amount: Monetary; type: string; credits_applied: { invoice: string; invoice_line_item: string } | null } | null;
}

export interface Meter {
  id: string;
  display_name: string;
  event_name: string;
  status: 'active' | 'inactive';
  default_aggregation: { formula: string };
  /** The payload keys whose values break its usage down (absent or empty: none). */
  dimension_payload_keys?: string[];
  created: number;
}

export interface TestClock {
  id: string;
  name: string | null;
  frozen_time: number;
  status: string;
}

/** A Stripe event (GET /v1/events): the change it records is `data.object`, as it was then. */
export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: { id?: string; object?: string; customer?: unknown }; previous_attributes?: Record<string, unknown> };
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  /** Event types sent to it; `*` is every type. */
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  created: number;
}

/** The answer to create: the only time the signing secret is shown. */
export type CreatedWebhookEndpoint = WebhookEndpoint & { secret: string };

/** One delivery attempt of an event to an endpoint (GET /v1/webhook_endpoints/:id/attempts, a Meterline extension). */
export interface WebhookAttempt {
  id: string;
  created: number;
  event: string;
  event_type: string;
  attempt: number;
  /** The resend that made it (`whrs_…`); null for the automatic attempts. */
  resend: string | null;
  status: 'succeeded' | 'failed';
  http_status: number | null;
  error: string | null;
  next_retry_at: number | null;
}

/** The answer to POST /v1/webhook_endpoints/:id/resend: its one attempt follows in the background. */
export interface WebhookResend {
  id: string;
  endpoint: string;
  event: string;
  event_type: string;
}
