import { route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';
import * as schemas from './schemas/alerts';

/** Billing alerts (/v1/billing/alerts): usage and credit balance thresholds. */
export function alertRoutes(s: ModeServices): Route[] {
  const { alerts } = s;
  return [
    route('POST', '/v1/billing/alerts', schemas.createAlert, (command, c) => alerts.create(command, c.principal.livemode)),
    route('GET', '/v1/billing/alerts/:id', noParams, (_, c) => alerts.retrieve(c.path.id!)),
    route('POST', '/v1/billing/alerts/:id/activate', noParams, (_, c) => alerts.changeStatus(c.path.id!, 'activate')),
    route('POST', '/v1/billing/alerts/:id/deactivate', noParams, (_, c) => alerts.changeStatus(c.path.id!, 'deactivate')),
    route('POST', '/v1/billing/alerts/:id/archive', noParams, (_, c) => alerts.changeStatus(c.path.id!, 'archive')),
    route('GET', '/v1/billing/alerts', schemas.listAlerts, async (command, c) => listResponse(c.url, await alerts.list(command))),
  ];
}
