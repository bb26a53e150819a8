import { pathId, route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import * as schemas from './schemas/clocks';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { InvalidRequestError, NotFoundError } from '../errors';
import type { Invoice, Subscription } from '../billing/model';
import type { ModeServices } from '../services';
import { INVOICE_STATUSES } from '../domain/invoice-states';

const SUBSCRIPTION_STATUSES = ['active', 'canceled', 'all', 'ended'] as const;

/** Subscriptions, invoices and test clocks. */
export function billingRoutes(s: ModeServices): Route[] {
  const { billing } = s;
  return [
    // Subscriptions
    { method: 'POST', pattern: '/v1/subscriptions', handle: async (c) => ({ body: await billing.createSubscription(c.params, c.now, c.principal.livemode) }) },
    {
      method: 'GET',
      pattern: '/v1/subscriptions/:id',
      handle: async (c) => ({ body: await s.store.require<Subscription>('subscription', pathId(c)) }),
    },
    { method: 'POST', pattern: '/v1/subscriptions/:id', handle: async (c) => ({ body: await billing.updateSubscription(c.path.id!, c.params, c.now) }) },
    { method: 'DELETE', pattern: '/v1/subscriptions/:id', handle: async (c) => ({ body: await billing.cancelSubscription(c.path.id!, c.params, c.now) }) },
    {
      method: 'GET',
      pattern: '/v1/subscriptions',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const customer = c.params.optionalString('customer');
        const status = c.params.optionalString('status', { oneOf: SUBSCRIPTION_STATUSES }) ?? 'default';
        const price = c.params.optionalString('price');
        const clock = c.params.optionalString('test_clock');
        c.params.done();
        if (customer) await s.customers.retrieveAny(customer).catch(() => Promise.reject(new NotFoundError('customer', customer, 'customer')));
        if (clock) await billing.clocks.retrieve(clock, 'test_clock');
        // `ended` subscriptions are the canceled ones; without a status, Stripe leaves them out.
        const indexed = status === 'active' ? 'active' : status === 'canceled' || status === 'ended' ? 'canceled' : undefined;
        const page = await s.store.list<Subscription>('subscription', {
          ...query,
          owner: customer,
          clock,
          filter: indexed ? { name: 'status', value: indexed } : undefined,
          match: (sub) =>
            (status !== 'default' || sub.status !== 'canceled') &&
            (!price || sub.items.data.some((item) => item.price.id === price)) &&
            (!clock || sub.test_clock === clock),
        });
        return { body: listResponse(c.url, page) };
      },
    },

    // Invoices
    {
      // Meterline's extension (the Dashboard's "invoiced this month"): finalized invoices of a UTC month, per currency.
      method: 'GET',
      pattern: '/v1/billing/invoiced_totals',
      handle: async (c) => {
        const month = c.params.string('month', { pattern: /^\d{4}-(0[1-9]|1[0-2])$/ });
        c.params.done();
        const data = await billing.store.invoicedTotals(month);
        return { body: listResponse('/v1/billing/invoiced_totals', { data, hasMore: false }) };
      },
    },
    { method: 'POST', pattern: '/v1/invoices/create_preview', handle: async (c) => ({ body: await billing.previewInvoice(c.params, c.now) }) },
    { method: 'GET', pattern: '/v1/invoices/:id', handle: async (c) => ({ body: await billing.invoices.retrieve(pathId(c)) }) },
    {
      method: 'GET',
      pattern: '/v1/invoices/:id/lines',
      handle: async (c) => {
        const query = readListQuery(c.params);
        c.params.done();
        const lines = (await billing.invoices.retrieve(c.path.id!)).lines.data;
        let from = 0;
        let to = lines.length;
        const cursor = query.startingAfter ?? query.endingBefore;
        if (cursor !== undefined) {
          const at = lines.findIndex((line) => line.id === cursor);
          if (at < 0) throw new NotFoundError('line_item', cursor, query.startingAfter ? 'starting_after' : 'ending_before');
          if (query.startingAfter) from = at + 1;
          else to = at;
        }
        const window = query.endingBefore ? lines.slice(Math.max(from, to - query.limit), to) : lines.slice(from, from + query.limit);
        const hasMore = query.endingBefore ? to - query.limit > from : from + query.limit < to;
        return { body: listResponse(c.url, { data: window, hasMore }) };
      },
    },
    { method: 'POST', pattern: '/v1/invoices/:id/finalize', handle: async (c) => ({ body: await billing.invoices.finalize(c.path.id!, c.params, c.now) }) },
    { method: 'POST', pattern: '/v1/invoices/:id/void', handle: async (c) => ({ body: await billing.invoices.void(c.path.id!, c.params, c.now) }) },
    { method: 'POST', pattern: '/v1/invoices/:id/pay', handle: async (c) => ({ body: await billing.invoices.pay(c.path.id!, c.params, c.now) }) },
    { method: 'POST', pattern: '/v1/invoices/:id/mark_uncollectible', handle: async (c) => ({ body: await billing.invoices.markUncollectible(c.path.id!, c.params, c.now) }) },
    {
      method: 'GET',
      pattern: '/v1/invoices',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const customer = c.params.optionalString('customer');
        const subscription = c.params.optionalString('subscription');
        const status = c.params.optionalString('status', { oneOf: INVOICE_STATUSES });
        // Meterline's extension (a clock's page): the invoices its subscriptions produced.
        const clock = c.params.optionalString('test_clock');
        c.params.done();
        if (clock) await billing.clocks.retrieve(clock, 'test_clock');
        // A customer or subscription of the other mode (or none at all) is named, not listed as empty.
        if (customer) await s.customers.retrieveAny(customer).catch(() => Promise.reject(new NotFoundError('customer', customer, 'customer')));
        if (subscription && !(await s.store.get('subscription', subscription))) throw new NotFoundError('subscription', subscription, 'subscription');
        const page = await s.store.list<Invoice>('invoice', {
          ...query,
          owner: customer,
          clock,
          filter: subscription ? { name: 'subscription', value: subscription } : undefined,
          match: status || (clock && customer) ? (invoice) => (!status || invoice.status === status) && (!clock || invoice.test_clock === clock) : undefined,
        });
        return { body: listResponse(c.url, page) };
      },
    },

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
    route('POST', '/v1/test_helpers/test_clocks', schemas.createTestClock, (command, c) => clocks.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/test_helpers/test_clocks/:id', noParams, (_, c) => clocks.retrieve(c.path.id!)),
    route('DELETE', '/v1/test_helpers/test_clocks/:id', noParams, (_, c) => clocks.delete(c.path.id!)),
    route('POST', '/v1/test_helpers/test_clocks/:id/advance', schemas.advanceTestClock, (command, c) => clocks.advance(c.path.id!, command)),
    route('GET', '/v1/test_helpers/test_clocks', schemas.listTestClocks, async ({ page }, c) => listResponse(c.url, await clocks.list(page))),
  ];
}
