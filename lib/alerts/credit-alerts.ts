import type { TransactItem } from '../store/dynamo';
import { availableBalance, creditAlertsFiring } from '../domain/alerts';
import { eventPut } from '../events/events';
import { grantTerms, type StoredGrant } from '../credits/model';
import type { AlertStore } from './alert-store';
import type { AlertTriggered } from './model';

/**
 * Credit balance alerts, evaluated in the transaction of every ledger change of a customer's
 * grants (credits applied, restored, expired, voided, granted). The customer's credit alert
 * list is the lock that makes this exact:
 *
 * - with an active alert that has not fired, the change rewrites the list (version + 1) on
 *   condition of the version read, having read every grant of the customer after it; two
 *   changes of the same customer's grants (even of different grants) therefore cannot both
 *   commit on what they read: the second fails, is re-planned by its caller and sees the first
 *   (a crossing made by the two together is not missed), and the alert fires once: the list
 *   records that it fired, in the same transaction as `billing.alert.triggered`;
 * - otherwise the change only checks that the list is still as read (absent, or the version
 *   read), so an alert created or activated meanwhile makes it re-plan and see the alert.
 *
 * An alert fires on the first change after its creation (or activation) that leaves the
 * available balance in its currency at or below `lte`, even if the balance was already there
 * when the alert was created (as Stripe's alerts, which are evaluated on changes).
 */
export class CreditAlertCheck {
  constructor(
    private readonly alerts: AlertStore,
    private readonly nowMs: () => number,
  ) {}

  /**
   * The writes that go into a ledger change's transaction for `customer`. `changed` are the
   * grants as the change writes them; `loadGrants` reads every grant of the customer
   * (consistently) and is only called when an alert may fire.
   */
  async writes(customer: string, changed: readonly StoredGrant[], at: number, loadGrants: () => Promise<StoredGrant[]>): Promise<TransactItem[]> {
    const list = await this.alerts.creditList(customer);
    if (!list.entries.some((entry) => entry.active && !entry.triggered)) return [this.alerts.creditListUnchanged(customer, list.version)];

    // Only alerts in a currency the change moves: a change in USD says nothing new about EUR.
    const currencies = new Set(changed.map((stored) => stored.grant.amount.monetary.currency));
    const grants = new Map((await loadGrants()).map((stored) => [stored.grant.id, stored]));
    for (const stored of changed) grants.set(stored.grant.id, stored);
    const terms = [...grants.values()].map(grantTerms);
    const balanceOf = (currency: string) => availableBalance(terms, currency, at);
    const firing = creditAlertsFiring(list.entries.filter((entry) => currencies.has(entry.currency)), balanceOf);
    const fired = new Set(firing.map((rule) => rule.id));
    const writes: TransactItem[] = [
      this.alerts.creditListPut(customer, { version: list.version, entries: list.entries.map((entry) => (fired.has(entry.id) ? { ...entry, triggered: true } : entry)) }),
    ];
    if (!firing.length) return writes;
    const nowMs = this.nowMs();
    for (const stored of await this.alerts.getMany([...fired])) {
      const rule = firing.find((r) => r.id === stored.alert.id)!;
      const triggered: AlertTriggered = {
        object: 'billing.alert_triggered',
        alert: stored.alert,
        created: at,
        customer,
        livemode: stored.alert.livemode,
        value: balanceOf(rule.currency),
      };
      writes.push(eventPut(this.alerts.tableName, { type: 'billing.alert.triggered', object: triggered, created: at, nowMs }));
    }
    return writes;
  }
}
