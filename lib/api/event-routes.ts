import { pathId, type Route } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import type { StripeEvent } from '../events/events';
import type { Services } from '../services';

/** GET /v1/events (filter `type`) and GET /v1/events/:id: the changes recorded in the last 30 days. */
export function eventRoutes(s: Services): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/v1/events/:id',
      handle: async (c) => ({ body: await s.store.require<StripeEvent>('event', pathId(c)) }),
    },
    {
      method: 'GET',
      pattern: '/v1/events',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const type = c.params.optionalString('type', { maxLength: 100 });
        c.params.done();
        const page = await s.store.list<StripeEvent>('event', { ...query, filter: type ? { name: 'type', value: type } : undefined });
        return { body: listResponse(c.url, page) };
      },
    },
  ];
}
