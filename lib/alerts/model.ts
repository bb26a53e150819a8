import type { PageQuery } from '../store/objects';
import type { AlertPause, CreditAlertRule, UsageAlertRule } from '../domain/alerts';

export type AlertType = 'usage_threshold' | 'credit_balance_threshold';
export const alertTypes: readonly AlertType[] = ['usage_threshold', 'credit_balance_threshold'];
export type AlertStatus = 'active' | 'inactive' | 'archived';

/** POST /v1/billing/alerts: the threshold object of its type (usage_threshold or credit_balance_threshold), never the other. */
export interface CreateAlertCommand {
  title: string;
  alert_type: AlertType;
  usage_threshold?: { gte: number; meter: string; recurrence: 'one_time'; filters?: CustomerFilter[]; dimension_filters?: Record<string, string> };
  credit_balance_threshold?: { filters?: CustomerFilter[]; lte: { balance_type: 'monetary'; monetary: { currency: string; value: number } } };
}

/** GET /v1/billing/alerts. */
export interface ListAlertsCommand {
  page: PageQuery;
  alert_type?: AlertType;
  meter?: string;
}

export interface CustomerFilter {
  type: 'customer';
  customer: string;
}

/** Stripe's Billing.Alert, with Meterline's `credit_balance_threshold` (modelled on Stripe's preview API) and a `created` time. */
export interface Alert {
  id: string;
  object: 'billing.alert';
  alert_type: AlertType;
  /** Unix seconds; lists are ordered by it. */
  created: number;
  livemode: boolean;
  status: AlertStatus;
  title: string;
  usage_threshold: {
    filters: CustomerFilter[] | null;
    gte: number;
    meter: string;
    recurrence: 'one_time';
    /** Meterline: only usage with these dimension values counts (absent: all of the meter's usage). */
    dimension_filters?: Record<string, string>;
  } | null;
  credit_balance_threshold: {
    filters: CustomerFilter[] | null;
    lte: { balance_type: 'monetary'; monetary: { currency: string; value: number } };
  } | null;
}

/** Stripe's Billing.AlertTriggered: the `data.object` of a `billing.alert.triggered` event. */
export interface AlertTriggered {
  object: 'billing.alert_triggered';
  alert: Alert;
  created: number;
  customer: string;
  livemode: boolean;
  value: number;
}

/** An alert as stored: the API object, its creation time in milliseconds (what usage is compared with) and a version. */
export interface StoredAlert {
  alert: Alert;
  createdMs: number;
  version: number;
}

/** The customer an alert is limited to, if any. */
export function filterCustomer(alert: Alert): string | null {
  const filters = alert.usage_threshold?.filters ?? alert.credit_balance_threshold?.filters ?? null;
  return filters?.[0]?.customer ?? null;
}

/** The usage rule the consumer evaluates for a usage alert, with the pauses it has had (none when new). */
export function usageRuleOf(stored: StoredAlert, pauses: readonly AlertPause[] = []): UsageAlertRule {
  const { gte, dimension_filters: dimensions } = stored.alert.usage_threshold!;
  return { id: stored.alert.id, gte, customer: filterCustomer(stored.alert), createdMs: stored.createdMs, pauses, ...(dimensions ? { dimensions } : {}) };
}

/** The credit rule of a credit balance alert (`triggered` comes from the customer's alert list). */
export function creditRuleOf(stored: StoredAlert, triggered: boolean): CreditAlertRule {
  const { lte } = stored.alert.credit_balance_threshold!;
  return {
    id: stored.alert.id,
    currency: lte.monetary.currency,
    lte: lte.monetary.value,
    createdMs: stored.createdMs,
    active: stored.alert.status === 'active',
    triggered,
  };
}
