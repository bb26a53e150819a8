/**
 * Every event type Meterline records. Webhook endpoints subscribe to these (or to `*`), and the
 * events API filters by them. Stripe's names where Stripe has the event; the few Meterline adds
 * are marked.
 */
export const eventTypes = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'billing.meter.created',
  'billing.meter.updated',
  'billing.meter.deactivated',
  'billing.meter.reactivated',
  // Meterline: Stripe reports these only as thin v2 events (`v1.billing.meter.error_report_triggered`, `v1.billing.meter.no_meter_found`).
  'billing.meter.error_report_triggered',
  'billing.meter.no_meter_found',
  'product.created',
  'product.updated',
  'product.deleted',
  'price.created',
  'price.updated',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'billing.credit_grant.created',
  'billing.credit_grant.updated',
  'billing.credit_balance_transaction.created',
  // Meterline: Stripe records no event when an alert is created or changes status.
  'billing.alert.created',
  'billing.alert.updated',
  'billing.alert.triggered',
  'test_helpers.test_clock.created',
  'test_helpers.test_clock.advancing',
  'test_helpers.test_clock.ready',
  'test_helpers.test_clock.internal_failure',
  'test_helpers.test_clock.deleted',
] as const;

export type EventType = (typeof eventTypes)[number];

const known = new Set<string>(eventTypes);

export function isEventType(value: string): value is EventType {
  return known.has(value);
}

/**
 * The types a `type` filter names: itself, or with a `*` wildcard (`invoice.*`, `*.created`)
 * every known type it matches, as Stripe's events API allows.
 */
export function typesMatching(pattern: string): EventType[] {
  if (!pattern.includes('*')) return isEventType(pattern) ? [pattern] : [];
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const regex = new RegExp(`^${escaped.join('.*')}$`);
  return eventTypes.filter((type) => regex.test(type));
}
