import * as v from 'valibot';
import { BALANCE_FILTER_TYPES, CREDIT_CATEGORIES, type ScopeCommand } from '../../credits/model';
import { isCurrency } from '../../domain/money';
import { listParams, p, params, readString, refuse, refuseMissing, withRule } from '../../http/schema';

/** An applicability scope (`applicability_config[scope]`, `filter[applicability_scope]`): exactly one of `price_type` (only `metered`) and `prices`. */
const scope = () =>
  v.pipe(
    withRule(p.object({ price_type: p.optionalEnum(['metered']), prices: p.optionalObjectList({ id: p.string() }) }), (s) =>
      (s.price_type === undefined) === (s.prices === undefined)
        ? { key: s.price_type === undefined ? 'price_type' : 'prices', message: 'Pass exactly one of price_type and prices.' }
        : undefined,
    ),
    v.transform((s): ScopeCommand => (s.prices ? { prices: s.prices.map((price) => price.id) } : { price_type: 'metered' })),
  );

/** A currency code, lower-cased; refused when unknown. */
const currency = p.custom({ type: 'string', description: 'ISO 4217 code' }, (value) => {
  if (value === '') refuseMissing();
  const code = readString(value).toLowerCase();
  if (!isCurrency(code)) refuse(`Invalid currency: ${code}`);
  return code;
});

/** POST /v1/billing/credit_grants. */
export const createCreditGrant = params({
  customer: p.string(),
  amount: p.object({
    type: p.enum(['monetary']),
    monetary: p.object({ currency, value: p.integer({ min: 1 }) }),
  }),
  applicability_config: p.object({ scope: scope() }),
  category: p.optionalEnum(CREDIT_CATEGORIES),
  priority: p.optionalInteger({ min: 0, max: 100 }),
  name: p.optionalString({ maxLength: 100 }),
  effective_at: p.optionalInteger({ min: 0 }),
  expires_at: p.optionalInteger({ min: 0 }),
  metadata: p.metadata(),
});

/** POST /v1/billing/credit_grants/:id. */
export const updateCreditGrant = params({
  expires_at: p.nullableInteger({ min: 0 }),
  metadata: p.metadata(),
});

/** GET /v1/billing/credit_grants. */
export const listCreditGrants = listParams({ customer: p.optionalString() });

/** GET /v1/billing/credit_balance_summary: the filter's parameters depend on its type. */
export const creditBalanceSummary = params({
  customer: p.string(),
  filter: withRule(
    p.object({ type: p.enum(BALANCE_FILTER_TYPES), credit_grant: p.optionalString(), applicability_scope: p.optional(scope()) }),
    (f) => {
      const [wanted, other] = f.type === 'credit_grant' ? (['credit_grant', 'applicability_scope'] as const) : (['applicability_scope', 'credit_grant'] as const);
      if (f[wanted] === undefined || f[wanted] === '') return { key: wanted, message: 'missing' };
      if (f[other] !== undefined) return { key: other, message: 'unknown' };
      return undefined;
    },
  ),
});

/** GET /v1/billing/credit_balance_transactions. */
export const listCreditBalanceTransactions = listParams({
  customer: p.string(),
  credit_grant: p.optionalString(),
});
