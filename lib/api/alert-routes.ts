import { pathId, type Route } from '../http/router';
import { readListQuery } from '../http/pagination';
import { listResponse } from '../http/response';
import { NotFoundError } from '../errors';
import { alertTypes, type Alert } from '../alerts/model';
import type { ModeServices } from '../services';

/** Billing alerts (/v1/billing/alerts): usage and credit balance thresholds. */
export function alertRoutes(s: ModeServices): Route[] {
  const { alerts } = s;
  return [
    { method: 'POST', pattern: '/v1/billing/alerts', handle: async (c) => ({ body: await alerts.create(c.params, c.principal.livemode) }) },
    {
      method: 'GET',
      pattern: '/v1/billing/alerts/:id',
      handle: async (c) => {
        const stored = await alerts.store.get(pathId(c), false);
        if (!stored) throw new NotFoundError('billing.alert', c.path.id!);
        return { body: stored.alert };
      },
    },
    { method: 'POST', pattern: '/v1/billing/alerts/:id/activate', handle: async (c) => ({ body: await alerts.changeStatus(c.path.id!, 'activate', c.params) }) },
    { method: 'POST', pattern: '/v1/billing/alerts/:id/deactivate', handle: async (c) => ({ body: await alerts.changeStatus(c.path.id!, 'deactivate', c.params) }) },
    { method: 'POST', pattern: '/v1/billing/alerts/:id/archive', handle: async (c) => ({ body: await alerts.changeStatus(c.path.id!, 'archive', c.params) }) },
    {
      method: 'GET',
      pattern: '/v1/billing/alerts',
      handle: async (c) => {
        const query = readListQuery(c.params);
        const type = c.params.optionalString('alert_type', { oneOf: alertTypes });
        const meter = c.params.optionalString('meter');
        c.params.done();
        // Archived alerts leave the list view, as in Stripe; the meter filter is an index query.
        const page = await s.store.list<Alert>('alert', {
          ...query,
          filter: meter ? { name: 'meter', value: meter } : undefined,
          match: (alert) => alert.status !== 'archived' && (!type || alert.alert_type === type),
        });
        return { body: listResponse(c.url, page) };
      },
    },
  ];
}
