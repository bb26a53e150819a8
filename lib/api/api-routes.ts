import { pathId, route, type Route } from '../http/router';
import { ignoredParams, noParams } from '../http/schema';
import * as customers from './schemas/customers';
import * as meters from './schemas/meters';
import * as metering from './schemas/metering';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { makeMeterEventSummaries } from '../metering/summarize-usage';
import type { ModeServices } from '../services';
import { billingRoutes } from './billing-routes';
import { catalogRoutes } from './catalog-routes';
import { creditRoutes } from './credit-routes';
import { alertRoutes } from './alert-routes';
import { eventRoutes } from './event-routes';
import { webhookRoutes } from './webhook-routes';

/** Every /v1 and /v2 route that is not on the ingest path. */
export function apiRoutes(s: ModeServices): Route[] {
  const summaries = makeMeterEventSummaries({ meters: s.meters, customers: s.customers, usage: s.usage });
  return [
    { method: 'GET', pattern: '/healthz', auth: 'none', handle: async () => ({ body: { status: 'ok' } }) },

    // Customers
    route('POST', '/v1/customers', customers.createCustomer, (command, c) => s.customers.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/customers/:id', ignoredParams, (_, c) => s.customers.retrieveAny(c.path.id!)),
    route('POST', '/v1/customers/:id', customers.updateCustomer, (command, c) => s.customers.update(c.path.id!, command, c.now)),
    route('DELETE', '/v1/customers/:id', noParams, (_, c) => s.billing.deleteCustomer(c.path.id!, c.now)),
    route('GET', '/v1/customers', customers.listCustomers, async (command, c) => listResponse(c.url, await s.customers.list(command))),

    // Meters
    route('POST', '/v1/billing/meters', meters.createMeter, (command, c) => s.meters.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/billing/meters/:id', noParams, (_, c) => s.meters.retrieve(c.path.id!)),
    route('POST', '/v1/billing/meters/:id', meters.updateMeter, (command, c) => s.meters.update(c.path.id!, command, c.now)),
    route('POST', '/v1/billing/meters/:id/deactivate', noParams, (_, c) => s.meters.deactivate(c.path.id!, c.now)),
    route('POST', '/v1/billing/meters/:id/reactivate', noParams, (_, c) => s.meters.reactivate(c.path.id!, c.now)),
    route('GET', '/v1/billing/meters', meters.listMeters, async (command, c) => listResponse(c.url, await s.meters.list(command))),
    route('GET', '/v1/billing/meters/:id/event_summaries', metering.meterEventSummaries, async (command, c) => listResponse(c.url, await summaries(c.path.id!, command))),

    ...catalogRoutes(s),
    ...billingRoutes(s),
    ...creditRoutes(s),
    ...alertRoutes(s),
    ...eventRoutes(s),
    ...webhookRoutes(s),

    // Asynchronous validation reports (Stripe's thin v2 events).
    {
      method: 'GET',
      pattern: '/v2/core/events',
      handle: async (c) => {
        const objectId = c.params.optionalString('object_id');
        const limit = c.params.optionalInteger('limit', { min: 1, max: 100 }) ?? 20;
        const page = c.params.optionalString('page');
        c.params.done();
        const result = await s.store.list('v2_event', {
          limit,
          startingAfter: page,
          filter: objectId ? { name: 'object_id', value: objectId } : undefined,
        });
        const last = result.data.at(-1) as { id: string } | undefined;
        const next = result.hasMore && last ? `${c.url}?${new URLSearchParams({ ...(objectId ? { object_id: objectId } : {}), limit: String(limit), page: last.id })}` : null;
        return { body: { data: result.data, next_page_url: next, previous_page_url: null } };
      },
    },
    {
      method: 'GET',
      pattern: '/v2/core/events/:id',
      handle: async (c) => ({ body: await s.store.require('v2_event', pathId(c), 'event') }),
    },
  ];
}

