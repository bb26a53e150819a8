import { InvalidRequestError, MissingParameterError } from '../errors';
import { MAX_ALERTS_PER_LIST } from '../domain/alerts';
import { retryLostRaces } from '../domain/concurrency';
import { newId } from '../domain/ids';
import { eventPut } from '../events/events';
import type { Customers } from '../customers/customers';
import { checkDimensionKey, type Meters } from '../meters/meters';
import type { AlertStore } from './alert-store';
import { creditRuleOf, usageRuleOf, type Alert, type CreateAlertCommand, type CustomerFilter, type StoredAlert } from './model';

export interface CreateAlertDeps {
  alerts: AlertStore;
  meters: Meters;
  customers: Customers;
  nowMs: () => number;
}

const ATTEMPTS = 5;

/**
 * POST /v1/billing/alerts: a usage alert (`usage_threshold`: fires once per customer when the
 * customer's usage of a meter, received from the alert's creation on, reaches `gte`) or a credit
 * balance alert (`credit_balance_threshold`: fires once when the customer's available credit
 * balance is at or below `lte` after a change of the customer's grants). Validates everything
 * before writing; the alert, its meter's or customer's alert list and `billing.alert.created`
 * are written in one transaction.
 */
export function makeCreateAlert(deps: CreateAlertDeps) {
  return async function createAlert(command: CreateAlertCommand, livemode: boolean): Promise<Alert> {
    const { title, alert_type: type } = command;
    const usage = command.usage_threshold ? await usageThreshold(command.usage_threshold) : null;
    const credit = command.credit_balance_threshold ? await creditThreshold(command.credit_balance_threshold) : null;

    const nowMs = deps.nowMs();
    const alert: Alert = {
      id: newId('alert', nowMs),
      object: 'billing.alert',
      alert_type: type,
      created: Math.floor(nowMs / 1000),
      livemode,
      status: 'active',
      title,
      usage_threshold: usage,
      credit_balance_threshold: credit,
    };
    const stored: StoredAlert = { alert, createdMs: nowMs, version: 1 };
    const listParam = usage ? 'usage_threshold[meter]' : 'credit_balance_threshold[filters]';
    const tooMany = () => new InvalidRequestError(`At most ${MAX_ALERTS_PER_LIST} alerts that are not archived may watch the same ${usage ? 'meter' : 'customer'}.`, listParam);
    await retryLostRaces(
      ATTEMPTS,
      async () => {
        const listWrite = usage ? await usageListWrite(stored) : await creditListWrite(stored);
        const event = eventPut(deps.alerts.tableName, { type: 'billing.alert.created', object: alert, created: alert.created, nowMs });
        return (await deps.alerts.objects.transact([deps.alerts.alertPut(stored, null), listWrite, event])) || undefined;
      },
      () => new InvalidRequestError('The alerts of this meter or customer kept changing while this request ran; retry.', undefined, 'lock_timeout'),
    );
    return alert;

    async function usageListWrite(s: StoredAlert) {
      const meter = s.alert.usage_threshold!.meter;
      const list = await deps.alerts.usageList(meter);
      if (list.entries.length >= MAX_ALERTS_PER_LIST) throw tooMany();
      return deps.alerts.usageListPut(meter, { version: list.version, entries: [...list.entries, { ...usageRuleOf(s), active: true }] });
    }

    async function creditListWrite(s: StoredAlert) {
      const customer = s.alert.credit_balance_threshold!.filters![0]!.customer;
      const list = await deps.alerts.creditList(customer);
      if (list.entries.length >= MAX_ALERTS_PER_LIST) throw tooMany();
      return deps.alerts.creditListPut(customer, { version: list.version, entries: [...list.entries, creditRuleOf(s, false)] });
    }
  };

  /** `usage_threshold`: an active meter, at most one customer filter (gte > 0 and `one_time` are checked at the edge). */
  async function usageThreshold(command: NonNullable<CreateAlertCommand['usage_threshold']>): Promise<NonNullable<Alert['usage_threshold']>> {
    const meter = await deps.meters.retrieve(command.meter, 'usage_threshold[meter]');
    if (meter.status !== 'active') throw new InvalidRequestError(`Meter ${meter.id} is inactive; alerts can only watch active meters.`, 'usage_threshold[meter]');
    const filters = await filtersOf(command.filters, 'usage_threshold');
    const dimensions = command.dimension_filters;
    for (const key of Object.keys(dimensions ?? {})) checkDimensionKey(meter, key, `usage_threshold[dimension_filters][${key}]`);
    return { filters, gte: command.gte, meter: meter.id, recurrence: 'one_time', ...(dimensions && Object.keys(dimensions).length ? { dimension_filters: dimensions } : {}) };
  }

  /** `credit_balance_threshold`: one customer filter (required) and `lte` in a currency, value >= 0. */
  async function creditThreshold(command: NonNullable<CreateAlertCommand['credit_balance_threshold']>): Promise<NonNullable<Alert['credit_balance_threshold']>> {
    const filters = await filtersOf(command.filters, 'credit_balance_threshold');
    if (!filters) throw new MissingParameterError('credit_balance_threshold[filters]');
    const { currency, value } = command.lte.monetary;
    return { filters, lte: { balance_type: 'monetary', monetary: { currency, value } } };
  }

  /** At most one filter (checked at the edge), of type `customer`, naming an existing customer; null for none. */
  async function filtersOf(list: CustomerFilter[] | undefined, at: string): Promise<CustomerFilter[] | null> {
    if (!list || !list.length) return null;
    const customer = await deps.customers.retrieve(list[0]!.customer, `${at}[filters][0][customer]`);
    return [{ type: 'customer', customer: customer.id }];
  }
}
