import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { expectInvalid, loose, meterAndCustomer } from '../fixtures/stripe';
import { creditAlertParams, eventsOf, listAlerts, usageAlertParams } from '../fixtures/alerts';

type Params = Record<string, unknown>;

describe('bad alert requests', () => {
  const { stack, stripe } = useStack();
  let meter: Stripe.Billing.Meter;
  let inactiveMeter: Stripe.Billing.Meter;
  let customer: Stripe.Customer;

  beforeAll(async () => {
    ({ meter, customer } = await meterAndCustomer(stripe));
    inactiveMeter = (await meterAndCustomer(stripe)).meter;
    await stripe.billing.meters.deactivate(inactiveMeter.id);
  });

  const usage = (overrides: Params = {}, threshold: Params = {}): Params => {
    const base = usageAlertParams(meter, 10, customer) as unknown as Params;
    return { ...base, ...overrides, usage_threshold: { ...(base.usage_threshold as Params), ...threshold } };
  };
  const credit = (lte: Params = {}, overrides: Params = {}): Params => {
    const base = creditAlertParams(customer, 100) as unknown as Params & { credit_balance_threshold: { lte: Params } };
    return { ...base, ...overrides, credit_balance_threshold: { ...base.credit_balance_threshold, lte: { ...base.credit_balance_threshold.lte, ...lte } } };
  };
  const withoutUsage = (omit: string) => {
    const params = usage();
    delete (params.usage_threshold as Params)[omit];
    return params;
  };

  it.each([
    ['no title', () => ({ ...usage(), title: undefined }), 'title'],
    ['a title over 256 characters', () => usage({ title: 'x'.repeat(257) }), 'title'],
    ['no alert_type', () => ({ ...usage(), alert_type: undefined }), 'alert_type'],
    ['an unknown alert_type', () => usage({ alert_type: 'spend_threshold' }), 'alert_type'],
    ['an unknown meter', () => usage({}, { meter: 'mtr_missing' }), 'usage_threshold[meter]'],
    ['an inactive meter', () => usage({}, { meter: inactiveMeter.id }), 'usage_threshold[meter]'],
    ['gte of 0', () => usage({}, { gte: 0 }), 'usage_threshold[gte]'],
    ['a negative gte', () => usage({}, { gte: -5 }), 'usage_threshold[gte]'],
    ['a decimal gte', () => usage({}, { gte: '2.5' }), 'usage_threshold[gte]'],
    ['no gte', () => withoutUsage('gte'), 'usage_threshold[gte]'],
    ['no recurrence', () => withoutUsage('recurrence'), 'usage_threshold[recurrence]'],
    ['a recurrence other than one_time', () => usage({}, { recurrence: 'monthly' }), 'usage_threshold[recurrence]'],
    ['two filters', () => usage({}, { filters: [{ type: 'customer', customer: 'x' }, { type: 'customer', customer: 'y' }] }), 'usage_threshold[filters]'],
    ['a filter type other than customer', () => usage({}, { filters: [{ type: 'tenant', customer: 'x' }] }), 'usage_threshold[filters][0][type]'],
    ['an unknown customer', () => usage({}, { filters: [{ type: 'customer', customer: 'cus_missing' }] }), 'usage_threshold[filters][0][customer]'],
    ['an unknown parameter in usage_threshold', () => usage({}, { lte: 3 }), 'usage_threshold[lte]'],
    ['no usage_threshold for a usage alert', () => ({ alert_type: 'usage_threshold', title: 'x' }), 'usage_threshold'],
    ['credit_balance_threshold on a usage alert', () => ({ ...usage(), credit_balance_threshold: credit().credit_balance_threshold }), 'credit_balance_threshold'],
    ['usage_threshold on a credit alert', () => ({ ...credit(), usage_threshold: usage().usage_threshold }), 'usage_threshold'],
    ['no credit_balance_threshold for a credit alert', () => ({ alert_type: 'credit_balance_threshold', title: 'x' }), 'credit_balance_threshold'],
    ['a credit alert without a customer filter', () => ({ ...credit(), credit_balance_threshold: { lte: (credit().credit_balance_threshold as Params).lte } }), 'credit_balance_threshold[filters]'],
    ['a balance_type other than monetary', () => credit({ balance_type: 'custom_pricing_unit' }), 'credit_balance_threshold[lte][balance_type]'],
    ['an unknown currency', () => credit({ monetary: { currency: 'zzz', value: 100 } }), 'credit_balance_threshold[lte][monetary][currency]'],
    ['a negative value', () => credit({ monetary: { currency: 'usd', value: -1 } }), 'credit_balance_threshold[lte][monetary][value]'],
    ['a decimal value', () => credit({ monetary: { currency: 'usd', value: '1.5' } }), 'credit_balance_threshold[lte][monetary][value]'],
    ['an unknown customer in a credit alert', () => ({ ...credit(), credit_balance_threshold: { ...(credit().credit_balance_threshold as Params), filters: [{ type: 'customer', customer: 'cus_missing' }] } }), 'credit_balance_threshold[filters][0][customer]'],
  ] as [string, () => Params, string][])('rejects %s with a 400 naming %s, and writes nothing', async (_, build, param) => {
    const body = build();
    await expectInvalid(stripe.billing.alerts.create(loose(body)), param);
    expect(await listAlerts(stripe)).toEqual([]);
    expect(await eventsOf(stripe, 'billing.alert.created')).toEqual([]);
  });

  it('answers resource_missing for an unknown meter and customer', async () => {
    await expectInvalid(stripe.billing.alerts.create(loose(usage({}, { meter: 'mtr_missing' }))), 'usage_threshold[meter]', 'resource_missing');
    await expectInvalid(
      stripe.billing.alerts.create(loose(usage({}, { filters: [{ type: 'customer', customer: 'cus_missing' }] }))),
      'usage_threshold[filters][0][customer]',
      'resource_missing',
    );
  });

  it('rejects bad list filters', async () => {
    await expectInvalid(stripe.billing.alerts.list(loose({ alert_type: 'spend' })), 'alert_type');
    await expectInvalid(stripe.billing.alerts.list(loose({ status: 'active' })), 'status');
  });
});
