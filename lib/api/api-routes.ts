import { route, type Route } from '../http/router';
import { ignoredParams, noParams } from '../http/schema';
import * as customers from './schemas/customers';
import * as meters from './schemas/meters';
import * as metering from './schemas/metering';
import * as events from './schemas/events';
import { listV2Events, retrieveV2Event } from '../events/list-events';
import { listResponse } from '../http/response';
import { makeMeterEventSummaries } from '../metering/summarize-usage';
import { makeUsageTotals } from '../metering/usage-totals';
import { makeMeterUsageAnalytics } from '../metering/meter-usage-analytics';
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
  const usage = makeUsageTotals({ meters: s.meters, rollups: s.rollups });
  const analytics = makeMeterUsageAnalytics({ meters: s.meters, customers: s.customers, usage: s.usage });
  return [
    route('GET', '/healthz', ignoredParams, async () => ({ status: 'ok' }), { auth: 'none' }),

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

    route('GET', '/v1/billing/analytics/meter_usage', metering.meterUsageAnalytics, (command, c) => analytics(command, c.now, c.principal.livemode)),

    // Usage across customers (Meterline): the console's charts.
    route('GET', '/v1/billing/meters/:id/usage_totals', metering.meterUsageTotals, async (command, c) => listResponse(c.url, { data: await usage.meterUsageTotals(c.path.id!, command), hasMore: false })),
    route('GET', '/v1/billing/meters/:id/top_customers', metering.usageRanking, async (command, c) => listResponse(c.url, { data: await usage.topCustomers(c.path.id!, command), hasMore: false })),
    route('GET', '/v1/billing/meter_usage_totals', metering.usageRanking, async (command, c) => listResponse(c.url, { data: await usage.busiestMeters(command, c.principal.livemode), hasMore: false })),

    ...catalogRoutes(s),
    ...billingRoutes(s),
    ...creditRoutes(s),
    ...alertRoutes(s),
    ...eventRoutes(s),
    ...webhookRoutes(s),

    // Asynchronous validation reports (Stripe's thin v2 events).
    route('GET', '/v2/core/events', events.listV2Events, (command, c) => listV2Events(s.store, command, c.url)),
    route('GET', '/v2/core/events/:id', noParams, (_, c) => retrieveV2Event(s.store, c.path.id!)),
  ];
}

