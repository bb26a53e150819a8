import { InvalidRequestError, MissingParameterError } from '../errors';
import { MAX_ALERTS_PER_LIST } from '../domain/alerts';
import { retryLostRaces } from '../domain/concurrency';
import { newId } from '../domain/ids';
import { isCurrency } from '../domain/money';
import type { Params } from '../http/params';
import { eventPut } from '../events/events';
import type { Customers } from '../customers/customers';
import type { Meters } from '../meters/meters';
import type { AlertStore } from './alert-store';
import { alertTypes, creditRuleOf, usageRuleOf, type Alert, type AlertType, type CustomerFilter, type StoredAlert } from './model';

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
  return async function createAlert(params: Params, livemode: boolean): Promise<Alert> {
    const title = params.string('title', { maxLength: 256 });
    const type = params.string('alert_type', { oneOf: alertTypes }) as AlertType;
    const usageParams = params.optionalObject('usage_threshold');
    const creditParams = params.optionalObject('credit_balance_threshold');
    const wanted = type === 'usage_threshold' ? usageParams : creditParams;
    const other = type === 'usage_threshold' ? 'credit_balance_threshold' : 'usage_threshold';
    if ((type === 'usage_threshold' ? creditParams : usageParams) !== undefined) {
      throw new InvalidRequestError(`${other} cannot be used with alert_type=${type}; pass ${type} instead.`, other);
    }
    if (!wanted) throw new MissingParameterError(type);
    const usage = type === 'usage_threshold' ? await readUsageThreshold(wanted) : null;
    const credit = type === 'credit_balance_threshold' ? await readCreditThreshold(wanted) : null;
    params.done();

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

  /** `usage_threshold`: gte (integer > 0), an active meter, `one_time`, at most one customer filter. */
  async function readUsageThreshold(p: Params): Promise<NonNullable<Alert['usage_threshold']>> {
    const gte = p.integer('gte');
    if (gte <= 0) throw new InvalidRequestError('Invalid gte: must be greater than 0', p.path('gte'));
    const meter = await deps.meters.retrieve(p.string('meter'), p.path('meter'));
    if (meter.status !== 'active') throw new InvalidRequestError(`Meter ${meter.id} is inactive; alerts can only watch active meters.`, p.path('meter'));
    p.string('recurrence', { oneOf: ['one_time'] });
    const filters = await readFilters(p, false);
    p.done();
    return { filters, gte, meter: meter.id, recurrence: 'one_time' };
  }

  /** `credit_balance_threshold`: one customer filter (required) and `lte` in a currency, value >= 0. */
  async function readCreditThreshold(p: Params): Promise<NonNullable<Alert['credit_balance_threshold']>> {
    const filters = await readFilters(p, true);
    const lte = p.object('lte');
    lte.string('balance_type', { oneOf: ['monetary'] });
    const money = lte.object('monetary');
    const currency = money.string('currency').toLowerCase();
    if (!isCurrency(currency)) throw new InvalidRequestError(`Invalid currency: ${currency}`, money.path('currency'));
    const value = money.integer('value', { min: 0 });
    money.done();
    lte.done();
    p.done();
    return { filters, lte: { balance_type: 'monetary', monetary: { currency, value } } };
  }

  /** At most one filter, of type `customer`, naming an existing customer. */
  async function readFilters(p: Params, required: true): Promise<CustomerFilter[]>;
  async function readFilters(p: Params, required: false): Promise<CustomerFilter[] | null>;
  async function readFilters(p: Params, required: boolean): Promise<CustomerFilter[] | null> {
    const list = p.optionalObjectList('filters');
    if (!list || !list.length) {
      if (required) throw new MissingParameterError(p.path('filters'));
      return null;
    }
    if (list.length > 1) throw new InvalidRequestError('Only one filter is allowed per alert.', p.path('filters'));
    const filter = list[0]!;
    filter.string('type', { oneOf: ['customer'] });
    const customer = await deps.customers.retrieve(filter.string('customer'), filter.path('customer'));
    filter.done();
    return [{ type: 'customer', customer: customer.id }];
  }
}
