import { NotFoundError } from '../errors';
import { isUsableAt, scopeCovers } from '../domain/credits';
import type { Customers } from '../customers/customers';
import type { TestClocks } from '../clocks/test-clocks';
import type { CreditLedger } from './ledger';
import { monetary, type CreditBalanceSummaryCommand, type MonetaryAmount, type StoredGrant } from './model';

export interface CreditBalanceSummary {
  object: 'billing.credit_balance_summary';
  balances: { available_balance: MonetaryAmount; ledger_balance: MonetaryAmount }[];
  customer: string;
  customer_account: null;
  livemode: boolean;
}


/**
 * GET /v1/billing/credit_balance_summary: a customer's credit balances per currency, over the
 * grants the filter selects (`credit_grant`: that grant; `applicability_scope`: the grants that
 * can pay the metered prices named, or any metered price with `price_type=metered`). Each grant's
 * part is what is left of it, the sum of its ledger:
 * - `ledger_balance` counts the grants in effect by the customer's current time;
 * - `available_balance` counts those that can pay an invoice now: in effect, not expired, not
 *   voided (it is lower only while an expiry that has come is not yet in the ledger).
 */
export function makeCreditBalanceSummary(deps: { ledger: CreditLedger; customers: Customers; clocks: TestClocks }) {
  return async function creditBalanceSummary(command: CreditBalanceSummaryCommand, requestNow: number, livemode: boolean): Promise<CreditBalanceSummary> {
    const customer = await deps.customers.retrieve(command.customer, 'customer');
    const { type } = command.filter;
    const grantId = type === 'credit_grant' ? command.filter.credit_grant : undefined;
    const scope = type === 'applicability_scope' ? command.filter.applicability_scope : undefined;
    const prices = scope && 'prices' in scope ? scope.prices : undefined;

    const now = await deps.clocks.timeOf(customer.test_clock, requestNow);
    const grants = await deps.ledger.grantsOf(customer.id);
    if (grantId && !grants.some((stored) => stored.grant.id === grantId)) throw new NotFoundError('billing.credit_grant', grantId, 'filter[credit_grant]');
    const selected = grants.filter(({ grant }) =>
      grantId ? grant.id === grantId : !prices || prices.some((price) => scopeCovers(grant.applicability_config.scope, price)),
    );
    return { object: 'billing.credit_balance_summary', balances: balancesOf(selected, now), customer: customer.id, customer_account: null, livemode };
  };
}

function balancesOf(grants: readonly StoredGrant[], now: number): CreditBalanceSummary['balances'] {
  const totals = new Map<string, { available: number; ledger: number }>();
  for (const { grant, remaining } of grants) {
    const currency = grant.amount.monetary.currency;
    const total = totals.get(currency) ?? { available: 0, ledger: 0 };
    if (grant.effective_at <= now) total.ledger += remaining;
    if (isUsableAt(grant, now)) total.available += remaining;
    totals.set(currency, total);
  }
  return [...totals].map(([currency, total]) => ({ available_balance: monetary(currency, total.available), ledger_balance: monetary(currency, total.ledger) }));
}
