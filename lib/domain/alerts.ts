/**
 * Billing alerts, the pure rules: which usage an alert counts, when it fires, and how many
 * transaction items evaluating it may cost. Usage totals are exact decimals (Quantity); credit
 * balances are integers of the currency's minor unit.
 */
import { Quantity } from './quantity';
import { isUsableAt, type GrantTerms } from './credits';
import { matchesFilters, type Dimensions } from './dimensions';

/** What the meter-events consumer knows of one active usage alert (an entry of its meter's alert list). */
export interface UsageAlertRule {
  id: string;
  /** Fires once the customer's counted usage reaches this (an integer > 0). */
  gte: number;
  /** Only this customer's usage, or every customer's (each fires once) when null. */
  customer: string | null;
  /** When the alert was created, wall clock milliseconds: only usage received from then on counts. */
  createdMs: number;
  /** When it was deactivated, oldest first: usage consumed in a pause is not counted. */
  pauses: readonly AlertPause[];
  /** Only usage with these dimension values counts (Meterline's `usage_threshold[dimension_filters]`). */
  dimensions?: Dimensions;
}

/** A usage alert's pause: deactivated at `fromMs` until activated again at `toMs` (null: still inactive). Wall clock milliseconds. */
export interface AlertPause {
  fromMs: number;
  toMs: number | null;
}

/** Pauses an alert remembers; beyond them the oldest two merge into one. */
export const MAX_PAUSES = 20;

/** One credit balance alert of a customer as its customer's alert list holds it. */
export interface CreditAlertRule {
  id: string;
  currency: string;
  /** Fires when the available balance is at or below this, in minor units. */
  lte: number;
  createdMs: number;
  active: boolean;
  /** Fired already: an alert fires once per customer. */
  triggered: boolean;
}

/** Non-archived alerts one meter (usage) or one customer (credit balance) may have. */
export const MAX_ALERTS_PER_LIST = 20;

/**
 * Transaction items a chunk of the meter-events consumer may need for alerts: per meter, a
 * ConditionCheck of its alert list's version; per (alert, customer), the progress update and,
 * when it fires, the `billing.alert.triggered` event.
 */
export const ITEMS_PER_ALERTED_METER = 1;
export const ITEMS_PER_ALERT_CUSTOMER = 2;

/** True when `rule` counts a usage event of `customer` received at `receivedMs`. */
export function counts(rule: UsageAlertRule, customer: string, receivedMs: number, dimensions: Dimensions = {}): boolean {
  return (rule.customer === null || rule.customer === customer) && receivedMs >= rule.createdMs && (!rule.dimensions || matchesFilters(dimensions, rule.dimensions));
}

/**
 * True when cancelling an applied event (received at `receivedMs`, applied by a batch that began at
 * `batchMs`) must take its value off `rule`'s progress: the rule counted it, which it did unless
 * that batch fell in one of its pauses. Never takes off usage that was not counted.
 */
export function countedBeforeCancel(rule: UsageAlertRule, customer: string, receivedMs: number, batchMs: number, dimensions?: Dimensions): boolean {
  return counts(rule, customer, receivedMs, dimensions) && !rule.pauses.some((p) => batchMs >= p.fromMs && (p.toMs === null || batchMs < p.toMs));
}

/**
 * The pauses of a usage alert after it is set active or inactive at `nowMs`: deactivating opens a
 * pause, activating closes the open one, setting the status it already has changes nothing.
 * Beyond MAX_PAUSES the oldest two merge, so the active spell between them counts as paused: a
 * cancelled event consumed then stays counted (the alert may fire early), never the reverse.
 */
export function pausesAfter(pauses: readonly AlertPause[], active: boolean, nowMs: number): AlertPause[] {
  const open = pauses.length > 0 && pauses[pauses.length - 1]!.toMs === null;
  if (active && open) return [...pauses.slice(0, -1), { fromMs: pauses[pauses.length - 1]!.fromMs, toMs: nowMs }];
  if (active || open) return [...pauses];
  const next = [...pauses, { fromMs: nowMs, toMs: null }];
  return next.length > MAX_PAUSES ? [{ fromMs: next[0]!.fromMs, toMs: next[1]!.toMs }, ...next.slice(2)] : next;
}

/** True when `rule` may count some usage of `customer` (whatever the time it was received). */
export function appliesTo(rule: UsageAlertRule, customer: string): boolean {
  return rule.customer === null || rule.customer === customer;
}

/**
 * A sum or count alert's progress after adding `delta` to `total`: it fires when the new total
 * reaches `gte` and it has not fired before. Negative deltas (corrections) lower the total.
 */
export function addUsage(total: string, delta: string, gte: number, triggered: boolean): { total: string; fires: boolean } {
  const next = new Quantity(total).plus(delta);
  return { total: next.toFixed(), fires: !triggered && next.gte(gte) };
}

/** A `last` meter's alert fires when one counted reported value reaches `gte` (values are levels, not increments). */
export function lastValueFires(value: string, gte: number): boolean {
  return new Quantity(value).gte(gte);
}

/**
 * A customer's available credit balance in `currency` at `at`: what is left of the grants that
 * can pay an invoice then (in effect, not expired, not voided), as the credit balance summary shows it.
 */
export function availableBalance(grants: readonly GrantTerms[], currency: string, at: number): number {
  return grants.filter((grant) => grant.currency === currency && isUsableAt(grant, at)).reduce((sum, grant) => sum + grant.remaining, 0);
}

/** The credit alerts that fire when the available balances are `balanceOf(currency)`: active, not yet fired, at or below their threshold. */
export function creditAlertsFiring(rules: readonly CreditAlertRule[], balanceOf: (currency: string) => number): CreditAlertRule[] {
  return rules.filter((rule) => rule.active && !rule.triggered && balanceOf(rule.currency) <= rule.lte);
}
