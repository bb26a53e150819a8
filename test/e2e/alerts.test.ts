import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';
import { drained, expectInvalid, meterAndCustomer } from '../fixtures/stripe';
import { eventsOf, listAlerts, sendUsage, triggersOf, usageAlert, type MeterlineAlert } from '../fixtures/alerts';

describe('billing alerts', () => {
  let stack: TestStack;
  let stripe: Stripe;

  beforeAll(async () => {
    stack = await startTestStack();
    stripe = stack.stripe;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('the alerts API', () => {
    it('creates, retrieves and lists usage alerts, filtered by type and meter', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const other = await stripe.billing.meters.create({ display_name: 'other', event_name: `other_${meter.event_name}`, default_aggregation: { formula: 'sum' } });
      const forCustomer = await usageAlert(stripe, meter, 100, customer);
      const forEveryone = await usageAlert(stripe, meter, 50);
      const onOther = await usageAlert(stripe, other, 7);
      expect(forCustomer).toEqual({
        id: expect.stringMatching(/^alrt_/),
        object: 'billing.alert',
        alert_type: 'usage_threshold',
        created: expect.any(Number),
        livemode: false,
        status: 'active',
        title: 'Usage over 100',
        usage_threshold: { filters: [{ type: 'customer', customer: customer.id }], gte: 100, meter: meter.id, recurrence: 'one_time' },
        credit_balance_threshold: null,
      });
      expect(forEveryone.usage_threshold?.filters).toBeNull();
      expect(await stripe.billing.alerts.retrieve(forCustomer.id)).toEqual(forCustomer);

      expect((await listAlerts(stripe, { meter: meter.id })).map((a) => a.id)).toEqual([forEveryone.id, forCustomer.id]);
      expect((await listAlerts(stripe, { meter: other.id })).map((a) => a.id)).toEqual([onOther.id]);
      const usageAlerts = await listAlerts(stripe, { alert_type: 'usage_threshold' });
      expect(usageAlerts.map((a) => a.id)).toEqual(expect.arrayContaining([forCustomer.id, forEveryone.id, onOther.id]));
      const page = await stripe.billing.alerts.list({ meter: meter.id, limit: 1 });
      expect(page.has_more).toBe(true);
      const next = await stripe.billing.alerts.list({ meter: meter.id, limit: 1, starting_after: page.data[0]!.id });
      expect(next.data.map((a) => a.id)).toEqual([forCustomer.id]);
    });

    it('deactivates, activates and archives an alert; an archived alert leaves the list and cannot change again', async () => {
      const { meter } = await meterAndCustomer(stripe);
      const alert = await usageAlert(stripe, meter, 10);
      expect((await stripe.billing.alerts.deactivate(alert.id)).status).toBe('inactive');
      expect((await stripe.billing.alerts.deactivate(alert.id)).status).toBe('inactive');
      expect((await stripe.billing.alerts.activate(alert.id)).status).toBe('active');
      expect((await stripe.billing.alerts.archive(alert.id)).status).toBe('archived');
      expect((await stripe.billing.alerts.archive(alert.id)).status).toBe('archived');
      await expectInvalid(stripe.billing.alerts.activate(alert.id), undefined, 'alert_archived');
      await expectInvalid(stripe.billing.alerts.deactivate(alert.id), undefined, 'alert_archived');
      expect((await stripe.billing.alerts.retrieve(alert.id)).status).toBe('archived');
      expect(await listAlerts(stripe, { meter: meter.id })).toEqual([]);

      const updates = (await eventsOf(stripe, 'billing.alert.updated')).filter((e) => (e.data.object as MeterlineAlert).id === alert.id);
      expect(updates.map((e) => [(e.data.object as MeterlineAlert).status, e.data.previous_attributes])).toEqual([
        ['inactive', { status: 'active' }],
        ['active', { status: 'inactive' }],
        ['archived', { status: 'active' }],
      ]);
      const created = (await eventsOf(stripe, 'billing.alert.created')).filter((e) => (e.data.object as MeterlineAlert).id === alert.id);
      expect(created).toHaveLength(1);
      expect(created[0]!.data.object).toMatchObject({ id: alert.id, status: 'active' });
    });

    it('answers 404 for an unknown alert', async () => {
      await expect(stripe.billing.alerts.retrieve('alrt_missing')).rejects.toMatchObject({ statusCode: 404, param: 'id' });
      await expect(stripe.billing.alerts.activate('alrt_missing')).rejects.toMatchObject({ statusCode: 404 });
    });
  });
});
