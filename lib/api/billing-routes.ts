import { route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import { InvalidRequestError } from '../errors';
import type { ModeServices } from '../services';
import * as schemas from './schemas/billing';
import * as clockSchemas from './schemas/clocks';

/** Subscriptions, invoices and test clocks. */
export function billingRoutes(s: ModeServices): Route[] {
  const { billing } = s;
  const { invoices } = billing;
  return [
    // Subscriptions
    route('POST', '/v1/subscriptions', schemas.createSubscription, (command, c) => billing.createSubscription(command, c.now, c.principal.livemode)),
    route('GET', '/v1/subscriptions/:id', noParams, (_, c) => billing.retrieveSubscription(c.path.id!)),
    route('POST', '/v1/subscriptions/:id', schemas.updateSubscription, (command, c) => billing.updateSubscription(c.path.id!, command, c.now)),
    route('DELETE', '/v1/subscriptions/:id', schemas.cancelSubscription, (command, c) => billing.cancelSubscription(c.path.id!, command, c.now)),
    route('GET', '/v1/subscriptions', schemas.listSubscriptions, async (command, c) => listResponse(c.url, await billing.listSubscriptions(command))),

    // Invoices
    route('GET', '/v1/billing/invoiced_totals', schemas.invoicedTotals, async ({ month }) => listResponse('/v1/billing/invoiced_totals', { data: await billing.invoicedTotals(month), hasMore: false })),
    route('POST', '/v1/invoices/create_preview', schemas.previewInvoice, (command, c) => billing.previewInvoice(command, c.now)),
    route('GET', '/v1/invoices/:id', noParams, (_, c) => invoices.retrieve(c.path.id!)),
    route('GET', '/v1/invoices/:id/lines', schemas.listInvoiceLines, async ({ page }, c) => listResponse(c.url, await invoices.lines(c.path.id!, page))),
    route('POST', '/v1/invoices/:id/finalize', schemas.finalizeInvoice, (_, c) => invoices.finalize(c.path.id!, c.now)),
    route('POST', '/v1/invoices/:id/void', noParams, (_, c) => invoices.void(c.path.id!, c.now)),
    route('POST', '/v1/invoices/:id/pay', schemas.payInvoice, (command, c) => invoices.pay(c.path.id!, command, c.now)),
    route('POST', '/v1/invoices/:id/mark_uncollectible', noParams, (_, c) => invoices.markUncollectible(c.path.id!, c.now)),
    route('GET', '/v1/invoices', schemas.listInvoices, async (command, c) => listResponse(c.url, await billing.listInvoices(command))),

    // Test clocks (test mode only)
    ...testClockRoutes(s).map((route) => (s.mode === 'live' ? { ...route, handle: refuseTestHelper } : route)),
  ];
}

/** What a live mode key gets from the test helpers: test clocks exist only in test mode, as in Stripe. */
async function refuseTestHelper(): Promise<never> {
  throw new InvalidRequestError('Test clocks are only available in test mode. Use a test mode key (sk_test_…) to create and advance them.', undefined, 'livemode_mismatch');
}

function testClockRoutes(s: ModeServices): Route[] {
  const { clocks } = s.billing;
  return [
    route('POST', '/v1/test_helpers/test_clocks', clockSchemas.createTestClock, (command, c) => clocks.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/test_helpers/test_clocks/:id', noParams, (_, c) => clocks.retrieve(c.path.id!)),
    route('DELETE', '/v1/test_helpers/test_clocks/:id', noParams, (_, c) => clocks.delete(c.path.id!)),
    route('POST', '/v1/test_helpers/test_clocks/:id/advance', clockSchemas.advanceTestClock, (command, c) => clocks.advance(c.path.id!, command)),
    route('GET', '/v1/test_helpers/test_clocks', clockSchemas.listTestClocks, async ({ page }, c) => listResponse(c.url, await clocks.list(page))),
  ];
}
