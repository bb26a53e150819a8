import { pathId, type Route } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { InvalidRequestError } from '../errors';
import { typesMatching } from '../events/event-types';
import type { StripeEvent } from '../events/events';
import type { ModeServices } from '../services';

/**
 * GET /v1/events and GET /v1/events/:id: the changes recorded in the last 30 days, newest first,
 * filtered by `type` (a name, or a pattern with `*` such as `invoice.*`) or `types` (up to 20
 * names) and by a `created` range. `pending_webhooks` is counted when the events are read.
 */
export function eventRoutes(s: ModeServices): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/v1/events/:id',
      handle: async (c) => {
        const [event] = await s.webhooks.withPendingWebhooks([await s.store.require<StripeEvent>('event', pathId(c))]);
        return { body: event };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/events',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const type = c.params.optionalString('type', { maxLength: 100 });
        const types = c.params.optionalStringList('types', 20);
        const created = c.params.optionalRange('created');
        c.params.done();
        if (type !== undefined && types !== undefined) {
          throw new InvalidRequestError('You may pass either type or types, but not both.', 'types');
        }
        const names = type !== undefined ? typesMatching(type) : types?.flatMap((t) => typesMatching(t));
        const filters = names && [...new Set(names)].map((value) => ({ name: 'type', value }));
        const page = await s.store.listAcross<StripeEvent>('event', filters, { ...query, created });
        return { body: listResponse(c.url, { ...page, data: await s.webhooks.withPendingWebhooks(page.data) }) };
      },
    },
  ];
}
