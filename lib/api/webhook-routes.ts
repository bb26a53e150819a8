import { pathId, type Route } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';

/** Webhook endpoints (/v1/webhook_endpoints) and, as a Meterline extension, their delivery attempts. */
export function webhookRoutes(s: ModeServices): Route[] {
  const { endpoints } = s.webhooks;
  return [
    { method: 'POST', pattern: '/v1/webhook_endpoints', handle: async (c) => ({ body: await endpoints.create(c.params, c.now, c.principal.livemode) }) },
    { method: 'GET', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.retrieve(pathId(c)) }) },
    { method: 'POST', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.update(c.path.id!, c.params) }) },
    { method: 'DELETE', pattern: '/v1/webhook_endpoints/:id', handle: async (c) => ({ body: await endpoints.delete(pathId(c)) }) },
    {
      method: 'GET',
      pattern: '/v1/webhook_endpoints',
      handle: async (c) => {
        const query = readListQuery(c.params);
        c.params.done();
        return { body: listResponse(c.url, await endpoints.list(query)) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/webhook_endpoints/:id/attempts',
      handle: async (c) => {
        const query = readListQuery(c.params);
        c.params.done();
        return { body: listResponse(c.url, await endpoints.attempts(c.path.id!, query)) };
      },
    },
  ];
}
