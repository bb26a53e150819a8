import type { Customers } from '../customers/customers';
import type { Meters } from '../meters/meters';
import { NotFoundError } from '../errors';
import type { ListPage, ObjectStore } from '../store/objects';
import { AlertStore } from './alert-store';
import { makeChangeAlertStatus } from './change-alert-status';
import { makeCreateAlert } from './create-alert';
import type { Alert, ListAlertsCommand } from './model';

export interface AlertsDeps {
  objects: ObjectStore;
  meters: Meters;
  customers: Customers;
  nowMs: () => number;
}

/** The alert use cases the API routes call. (Evaluation happens in the meter-events consumer and the credit ledger.) */
export function createAlerts(deps: AlertsDeps) {
  const store = new AlertStore(deps.objects);
  return {
    store,
    create: makeCreateAlert({ alerts: store, meters: deps.meters, customers: deps.customers, nowMs: deps.nowMs }),
    changeStatus: makeChangeAlertStatus({ alerts: store, nowMs: deps.nowMs }),
    /** GET /v1/billing/alerts/:id. */
    async retrieve(id: string): Promise<Alert> {
      const stored = await store.get(id, false);
      if (!stored) throw new NotFoundError('billing.alert', id);
      return stored.alert;
    },
    /** GET /v1/billing/alerts: archived alerts leave the list view, as in Stripe; the meter filter is an index query. */
    list({ page, alert_type: type, meter }: ListAlertsCommand): Promise<ListPage<Alert>> {
      return deps.objects.list<Alert>('alert', {
        ...page,
        filter: meter ? { name: 'meter', value: meter } : undefined,
        match: (alert) => alert.status !== 'archived' && (!type || alert.alert_type === type),
      });
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
