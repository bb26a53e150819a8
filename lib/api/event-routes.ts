import { route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';
import * as schemas from './schemas/events';

/**
 * GET /v1/events and GET /v1/events/:id: the changes recorded in the last 30 days (see
 * lib/events/list-events.ts); `pending_webhooks` is counted when the events are read.
 */
export function eventRoutes(s: ModeServices): Route[] {
  return [
    route('GET', '/v1/events/:id', noParams, (_, c) => s.webhooks.retrieveEvent(c.path.id!)),
    route('GET', '/v1/events', schemas.listEvents, async (command, c) => listResponse(c.url, await s.webhooks.listEvents(command))),
  ];
}
