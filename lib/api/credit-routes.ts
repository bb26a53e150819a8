import { pathId, type Route } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { NotFoundError } from '../errors';
import type { CreditBalanceTransaction, CreditGrant } from '../credits/model';
import type { ModeServices } from '../services';

/** Credit grants, the credit balance summary and the ledger (credit balance transactions). */
export function creditRoutes(s: ModeServices): Route[] {
  const { creditGrants } = s.billing;
  return [
    { method: 'POST', pattern: '/v1/billing/credit_grants', handle: async (c) => ({ body: await creditGrants.create(c.params, c.now, c.principal.livemode) }) },
    { method: 'GET', pattern: '/v1/billing/credit_grants/:id', handle: async (c) => ({ body: await creditGrants.retrieve(pathId(c)) }) },
    { method: 'POST', pattern: '/v1/billing/credit_grants/:id', handle: async (c) => ({ body: await creditGrants.update(c.path.id!, c.params, c.now) }) },
    { method: 'POST', pattern: '/v1/billing/credit_grants/:id/expire', handle: async (c) => ({ body: await creditGrants.expire(c.path.id!, c.params, c.now) }) },
    { method: 'POST', pattern: '/v1/billing/credit_grants/:id/void', handle: async (c) => ({ body: await creditGrants.void(c.path.id!, c.params, c.now) }) },
    {
      method: 'GET',
      pattern: '/v1/billing/credit_grants',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const customer = c.params.optionalString('customer');
        c.params.done();
        if (customer) await s.customers.retrieve(customer, 'customer');
        const page = await s.store.list<CreditGrant>('credit_grant', { ...query, owner: customer });
        return { body: listResponse(c.url, page) };
      },
    },
    { method: 'GET', pattern: '/v1/billing/credit_balance_summary', handle: async (c) => ({ body: await s.billing.creditBalanceSummary(c.params, c.now, c.principal.livemode) }) },
    {
      method: 'GET',
      pattern: '/v1/billing/credit_balance_transactions/:id',
      handle: async (c) => ({ body: await s.store.require('credit_balance_transaction', pathId(c), 'billing.credit_balance_transaction') }),
    },
    {
      method: 'GET',
      pattern: '/v1/billing/credit_balance_transactions',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const customer = c.params.string('customer');
        const grant = c.params.optionalString('credit_grant');
        c.params.done();
        await s.customers.retrieve(customer, 'customer');
        if (grant && !(await s.store.get('credit_grant', grant))) throw new NotFoundError('billing.credit_grant', grant, 'credit_grant');
        const page = await s.store.list<CreditBalanceTransaction>('credit_balance_transaction', {
          ...query,
          owner: customer,
          filter: grant ? { name: 'credit_grant', value: grant } : undefined,
        });
        return { body: listResponse(c.url, page) };
      },
    },
  ];
}
