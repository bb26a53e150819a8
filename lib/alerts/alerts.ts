import type { Customers } from '../customers/customers';
import type { Meters } from '../meters/meters';
import type { ObjectStore } from '../store/objects';
import { AlertStore } from './alert-store';
import { makeChangeAlertStatus } from './change-alert-status';
import { makeCreateAlert } from './create-alert';

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
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
