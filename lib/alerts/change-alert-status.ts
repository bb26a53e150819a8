import { InvalidRequestError, NotFoundError } from '../errors';
import { retryLostRaces } from '../domain/concurrency';
import { pausesAfter } from '../domain/alerts';
import { eventPut } from '../events/events';
import type { TransactItem } from '../store/dynamo';
import type { AlertStore } from './alert-store';
import { creditRuleOf, usageRuleOf, type Alert, type AlertStatus, type StoredAlert } from './model';

const ATTEMPTS = 5;

export type AlertAction = 'activate' | 'deactivate' | 'archive';
const targetOf: Record<AlertAction, AlertStatus> = { activate: 'active', deactivate: 'inactive', archive: 'archived' };

/**
 * POST /v1/billing/alerts/:id/{activate,deactivate,archive}. An inactive alert counts no usage
 * and never fires until it is activated again (what it counted before stays counted); archiving
 * is final: an archived alert leaves its meter's or customer's alert list, drops out of the list
 * view, never fires, and cannot be activated or deactivated (400). Asking for the status an alert
 * already has (archiving an archived alert too) answers the alert unchanged and records nothing.
 * A change writes the alert, its list and `billing.alert.updated` (previous_attributes.status) in
 * one transaction, each on condition of the version read.
 */
export function makeChangeAlertStatus(deps: { alerts: AlertStore; nowMs: () => number }) {
  return async function changeAlertStatus(id: string, action: AlertAction): Promise<Alert> {
    const status = targetOf[action];
    return retryLostRaces(
      ATTEMPTS,
      async () => {
        const stored = await deps.alerts.get(id);
        if (!stored) throw new NotFoundError('billing.alert', id);
        const current = stored.alert;
        if (current.status === status) return current;
        if (current.status === 'archived') {
          throw new InvalidRequestError(`Alert ${id} is archived; an archived alert cannot be ${action}d.`, undefined, 'alert_archived');
        }
        const nowMs = deps.nowMs();
        const next: StoredAlert = { ...stored, alert: { ...current, status }, version: stored.version + 1 };
        const writes: TransactItem[] = [
          deps.alerts.alertPut(next, stored.version),
          await listWrite(next, nowMs),
          eventPut(deps.alerts.tableName, {
            type: 'billing.alert.updated',
            object: next.alert,
            previous: { status: current.status },
            created: Math.floor(nowMs / 1000),
            nowMs,
          }),
        ];
        return (await deps.alerts.objects.transact(writes)) ? next.alert : undefined;
      },
      () => new InvalidRequestError(`Alert ${id} kept changing while this request ran; retry.`, undefined, 'lock_timeout'),
    );
  };

  /**
   * The alert's list with the alert's entry updated (archived: removed). A usage alert's pause
   * opens on deactivation and closes on activation; a credit alert keeps whether it fired.
   */
  async function listWrite(next: StoredAlert, nowMs: number): Promise<TransactItem> {
    const { alert } = next;
    const keep = alert.status !== 'archived';
    if (alert.usage_threshold) {
      const list = await deps.alerts.usageList(alert.usage_threshold.meter);
      const others = list.entries.filter((entry) => entry.id !== alert.id);
      const active = alert.status === 'active';
      const pauses = pausesAfter(list.entries.find((entry) => entry.id === alert.id)?.pauses ?? [], active, nowMs);
      const entries = keep ? [...others, { ...usageRuleOf(next, pauses), active }] : others;
      return deps.alerts.usageListPut(alert.usage_threshold.meter, { version: list.version, entries });
    }
    const customer = alert.credit_balance_threshold!.filters![0]!.customer;
    const list = await deps.alerts.creditList(customer);
    const triggered = list.entries.find((entry) => entry.id === alert.id)?.triggered ?? false;
    const others = list.entries.filter((entry) => entry.id !== alert.id);
    const entries = keep ? [...others, creditRuleOf(next, triggered)] : others;
    return deps.alerts.creditListPut(customer, { version: list.version, entries });
  }
}
