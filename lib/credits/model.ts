import type { CreditCategory, CreditScope, GrantTerms } from '../domain/credits';
import type { Metadata, MetadataUpdate } from '../domain/metadata';
import type { PageQuery } from '../store/objects';

/** A scope as a request names it: every metered price, or these price ids. */
export type ScopeCommand = { price_type: 'metered' } | { prices: string[] };

export const CREDIT_CATEGORIES = ['paid', 'promotional'] as const;

/** POST /v1/billing/credit_grants (the currency lower-cased and known, checked at the edge). */
export interface CreateCreditGrantCommand {
  customer: string;
  amount: { type: 'monetary'; monetary: { currency: string; value: number } };
  applicability_config: { scope: ScopeCommand };
  category?: (typeof CREDIT_CATEGORIES)[number];
  priority?: number;
  name?: string;
  effective_at?: number;
  expires_at?: number;
  metadata?: MetadataUpdate;
}

/** POST /v1/billing/credit_grants/:id: `expires_at` null never expires. */
export interface UpdateCreditGrantCommand {
  expires_at?: number | null;
  metadata?: MetadataUpdate;
}

/** GET /v1/billing/credit_grants. */
export interface ListCreditGrantsCommand {
  page: PageQuery;
  customer?: string;
}

/** GET /v1/billing/credit_balance_transactions. */
export interface ListCreditBalanceTransactionsCommand {
  page: PageQuery;
  customer: string;
  credit_grant?: string;
}

export const BALANCE_FILTER_TYPES = ['applicability_scope', 'credit_grant'] as const;

/** GET /v1/billing/credit_balance_summary: `credit_grant` only with type credit_grant, `applicability_scope` only with type applicability_scope. */
export interface CreditBalanceSummaryCommand {
  customer: string;
  filter: { type: (typeof BALANCE_FILTER_TYPES)[number]; credit_grant?: string; applicability_scope?: ScopeCommand };
}

/** A monetary amount as the credit objects write it: `value` in the currency's minor unit. */
export interface MonetaryAmount {
  monetary: { currency: string; value: number };
  type: 'monetary';
}

export const monetary = (currency: string, value: number): MonetaryAmount => ({ monetary: { currency, value }, type: 'monetary' });

/** Stripe's Billing.CreditGrant. */
export interface CreditGrant {
  id: string;
  object: 'billing.credit_grant';
  amount: MonetaryAmount;
  applicability_config: { scope: CreditScope };
  category: CreditCategory;
  created: number;
  customer: string;
  customer_account: null;
  effective_at: number;
  expires_at: number | null;
  livemode: boolean;
  metadata: Metadata;
  name: string | null;
  priority: number;
  test_clock: string | null;
  updated: number;
  voided_at: number | null;
}

/** A grant as stored: the API object, what is left of it (the sum of its ledger) and an optimistic-lock version. */
export interface StoredGrant {
  grant: CreditGrant;
  remaining: number;
  version: number;
  /** True once the grant's expiry is in its ledger (by the expire action or the expiry job). */
  expired: boolean;
}

export type CreditType = 'credits_granted' | 'credits_application_invoice_voided';
export type DebitType = 'credits_applied' | 'credits_expired' | 'credits_voided';

interface InvoiceLineRef {
  invoice: string;
  invoice_line_item: string;
}

/** Stripe's Billing.CreditBalanceTransaction: one append-only ledger entry of a grant. */
export interface CreditBalanceTransaction {
  id: string;
  object: 'billing.credit_balance_transaction';
  created: number;
  credit: { amount: MonetaryAmount; credits_application_invoice_voided: InvoiceLineRef | null; type: CreditType } | null;
  credit_grant: string;
  debit: { amount: MonetaryAmount; credits_applied: InvoiceLineRef | null; type: DebitType } | null;
  effective_at: number;
  livemode: boolean;
  test_clock: string | null;
  type: 'credit' | 'debit';
}

/** The grant as the pure credit rules see it. */
export function grantTerms(stored: StoredGrant): GrantTerms {
  const { grant } = stored;
  return {
    id: grant.id,
    currency: grant.amount.monetary.currency,
    category: grant.category,
    priority: grant.priority,
    effective_at: grant.effective_at,
    expires_at: grant.expires_at,
    voided_at: grant.voided_at,
    created: grant.created,
    scope: grant.applicability_config.scope,
    remaining: stored.remaining,
  };
}

/** The amount an entry moves, in minor units, with its direction. */
export function movementOf(entry: CreditBalanceTransaction): { type: 'credit' | 'debit'; amount: number } {
  const amount = (entry.credit ?? entry.debit)!.amount.monetary.value;
  return { type: entry.type, amount };
}
