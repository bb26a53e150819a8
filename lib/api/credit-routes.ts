import { route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';
import * as schemas from './schemas/credits';

/** Credit grants, the credit balance summary and the ledger (credit balance transactions). */
export function creditRoutes(s: ModeServices): Route[] {
  const { creditGrants: grants, creditBalanceSummary } = s.billing;
  return [
    route('POST', '/v1/billing/credit_grants', schemas.createCreditGrant, (command, c) => grants.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/billing/credit_grants/:id', noParams, (_, c) => grants.retrieve(c.path.id!)),
    route('POST', '/v1/billing/credit_grants/:id', schemas.updateCreditGrant, (command, c) => grants.update(c.path.id!, command, c.now)),
    route('POST', '/v1/billing/credit_grants/:id/expire', noParams, (_, c) => grants.expire(c.path.id!, c.now)),
    route('POST', '/v1/billing/credit_grants/:id/void', noParams, (_, c) => grants.void(c.path.id!, c.now)),
    route('GET', '/v1/billing/credit_grants', schemas.listCreditGrants, async (command, c) => listResponse(c.url, await grants.list(command))),
    route('GET', '/v1/billing/credit_balance_summary', schemas.creditBalanceSummary, (command, c) => creditBalanceSummary(command, c.now, c.principal.livemode)),
    route('GET', '/v1/billing/credit_balance_transactions/:id', noParams, (_, c) => grants.retrieveTransaction(c.path.id!)),
    route('GET', '/v1/billing/credit_balance_transactions', schemas.listCreditBalanceTransactions, async (command, c) => listResponse(c.url, await grants.listTransactions(command))),
  ];
}
