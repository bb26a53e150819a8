/**
 * Billing credits, the pure rules: which grants may pay an invoice, in which order, and how much
 * of each metered line each grant pays. Amounts are integers of the currency's minor unit (a
 * grant's value is one), so the arithmetic here is exact without decimals.
 */

/** What a grant may pay: every metered price, or the listed metered prices. */
export type CreditScope = { price_type: 'metered' } | { prices: { id: string }[] };

export type CreditCategory = 'paid' | 'promotional';

/** The part of a grant the rules look at. */
export interface GrantTerms {
  id: string;
  currency: string;
  category: CreditCategory;
  /** 0 (applied first) to 100. */
  priority: number;
  effective_at: number;
  expires_at: number | null;
  voided_at: number | null;
  created: number;
  scope: CreditScope;
  /** What is left of the grant: the sum of its ledger. */
  remaining: number;
}

/** An invoice line as credits see it. */
export interface CreditableLine {
  id: string;
  price: string;
  metered: boolean;
  /** The line's amount before credits, in minor units. */
  amount: number;
}

export interface CreditApplication {
  grant: string;
  line: string;
  amount: number;
}

/**
 * One invoice records at most this many (grant, line) applications: each costs a ledger entry
 * and its event in the finalization's transaction, and restoring them when the invoice is voided
 * may cost twice that, all within DynamoDB's 100 items per transaction. What a 17th application
 * would have paid stays due.
 */
export const MAX_APPLICATIONS_PER_INVOICE = 16;

/** True when a grant can pay at `at`: effective, not expired, not voided. */
export function isUsableAt(grant: Pick<GrantTerms, 'effective_at' | 'expires_at' | 'voided_at'>, at: number): boolean {
  return grant.voided_at === null && grant.effective_at <= at && (grant.expires_at === null || grant.expires_at > at);
}

/** True when the grant's scope covers `price`. */
export function scopeCovers(scope: CreditScope, price: string): boolean {
  return 'price_type' in scope || scope.prices.some((p) => p.id === price);
}

const categoryRank: Record<CreditCategory, number> = { promotional: 0, paid: 1 };

/**
 * The order grants are spent in: lower `priority` first, then the earliest `expires_at` (a grant
 * that never expires last), then promotional before paid, then the earliest `effective_at`, then
 * the earliest created (and the id, so the order is total).
 */
export function grantOrder(a: GrantTerms, b: GrantTerms): number {
  return (
    a.priority - b.priority ||
    (a.expires_at ?? Infinity) - (b.expires_at ?? Infinity) ||
    categoryRank[a.category] - categoryRank[b.category] ||
    a.effective_at - b.effective_at ||
    a.created - b.created ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * How credits pay an invoice in `currency` finalized at `at`. Grants usable at `at` in the
 * invoice's currency are taken in `grantOrder`; each pays, in invoice line order, the metered
 * lines its scope covers, as much as is left of the grant and of the line. Licensed lines are
 * never paid by credits, and no line goes below zero. So a grant is only used on a line once
 * every grant before it that covers the line is spent or the line is paid in full.
 */
export function planCreditApplications(
  lines: readonly CreditableLine[],
  grants: readonly GrantTerms[],
  currency: string,
  at: number,
  maxApplications = MAX_APPLICATIONS_PER_INVOICE,
): CreditApplication[] {
  const due = new Map(lines.filter((line) => line.metered && line.amount > 0).map((line) => [line.id, line.amount]));
  const usable = grants.filter((grant) => grant.currency === currency && grant.remaining > 0 && isUsableAt(grant, at)).sort(grantOrder);
  const applications: CreditApplication[] = [];
  for (const grant of usable) {
    let left = grant.remaining;
    for (const line of lines) {
      const owed = due.get(line.id) ?? 0;
      if (left === 0 || owed === 0 || !scopeCovers(grant.scope, line.price)) continue;
      if (applications.length === maxApplications) return applications;
      const amount = Math.min(left, owed);
      applications.push({ grant: grant.id, line: line.id, amount });
      left -= amount;
      due.set(line.id, owed - amount);
    }
  }
  return applications;
}

/** A ledger entry's effect on a grant's balance: credits add, debits subtract. */
export interface LedgerMovement {
  type: 'credit' | 'debit';
  amount: number;
}

/** The balance a ledger adds up to. */
export function ledgerBalance(entries: readonly LedgerMovement[]): number {
  return entries.reduce((sum, entry) => sum + (entry.type === 'credit' ? entry.amount : -entry.amount), 0);
}
