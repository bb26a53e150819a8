import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { drained, expectInvalid, meterAndCustomer } from '../fixtures/stripe';
import { eventsOf, listAlerts, sendUsage, triggersOf, usageAlert, type CustomerRef, type MeterlineAlert, type MeterRef } from '../fixtures/alerts';

describe('billing alerts', () => {
  const { stack, stripe } = useStack();

  /** Sends usage events of `customer` and waits until the consumer has applied them. */
  async function consumed(meter: MeterRef, customer: CustomerRef, values: readonly string[]) {
    const events = await sendUsage(stack, meter, customer, values);
    await drained(stack);
    return events;
  }

  /** Cancels the event `identifier` of `meter` and waits until the consumer has applied the cancellation. */
  async function cancel(meter: Stripe.Billing.Meter, identifier: string) {
    await stripe.billing.meterEventAdjustments.create({ event_name: meter.event_name, type: 'cancel', cancel: { identifier } });
    await drained(stack);
  }

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

      const updates = (await eventsOf(stripe, 'billing.alert.updated')).filter((e) => (e.data.object as unknown as MeterlineAlert).id === alert.id);
      expect(updates.map((e) => [(e.data.object as unknown as MeterlineAlert).status, e.data.previous_attributes])).toEqual([
        ['inactive', { status: 'active' }],
        ['active', { status: 'inactive' }],
        ['archived', { status: 'active' }],
      ]);
      const created = (await eventsOf(stripe, 'billing.alert.created')).filter((e) => (e.data.object as unknown as MeterlineAlert).id === alert.id);
      expect(created).toHaveLength(1);
      expect(created[0]!.data.object).toMatchObject({ id: alert.id, status: 'active' });
    });

    it('answers 404 for an unknown alert', async () => {
      await expect(stripe.billing.alerts.retrieve('alrt_missing')).rejects.toMatchObject({ statusCode: 404, param: 'id' });
      await expect(stripe.billing.alerts.activate('alrt_missing')).rejects.toMatchObject({ statusCode: 404 });
    });
  });

  describe('usage alerts as usage is aggregated', () => {
    it('fires once for the customer the alert watches, when its usage reaches gte, with the total as value', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const other = await stripe.customers.create({ name: 'other' });
      const alert = await usageAlert(stripe, meter, 10, customer);
      await sendUsage(stack, meter, customer, ['4', '5.5']);
      await consumed(meter, other, ['50']);
      expect(await triggersOf(stripe, alert)).toEqual([]);

      await consumed(meter, customer, ['1.5']);
      await consumed(meter, customer, ['100']);
      const triggers = await triggersOf(stripe, alert);
      expect(triggers).toEqual([
        { object: 'billing.alert_triggered', alert: expect.objectContaining({ id: alert.id, status: 'active' }), created: expect.any(Number), customer: customer.id, livemode: false, value: 11 },
      ]);
    });

    it('reports a fractional total as the number it is', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const alert = await usageAlert(stripe, meter, 10, customer);
      await consumed(meter, customer, ['4.5', '6.25']);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([10.75]);
    });

    it('fires once per customer for an alert without a customer filter', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const second = await stripe.customers.create({ name: 'second' });
      const third = await stripe.customers.create({ name: 'third' });
      const alert = await usageAlert(stripe, meter, 3);
      await sendUsage(stack, meter, customer, ['1', '1', '1', '1']);
      await sendUsage(stack, meter, second, ['2', '2']);
      await consumed(meter, third, ['2']);
      await consumed(meter, customer, ['5']);
      const triggers = await triggersOf(stripe, alert);
      expect(triggers.map((t) => t.customer).sort()).toEqual([customer.id, second.id].sort());
      expect(triggers.find((t) => t.customer === second.id)?.value).toBe(4);
    });

    it('counts only usage received after the alert was created', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      await consumed(meter, customer, ['9']);
      const alert = await usageAlert(stripe, meter, 10, customer);
      await consumed(meter, customer, ['9']);
      expect(await triggersOf(stripe, alert)).toEqual([]);
      await consumed(meter, customer, ['1']);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([10]);
    });

    it('counts no usage while deactivated, and an archived alert never fires', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const paused = await usageAlert(stripe, meter, 10, customer);
      const archived = await usageAlert(stripe, meter, 1, customer);
      await stripe.billing.alerts.deactivate(paused.id);
      await stripe.billing.alerts.archive(archived.id);
      await consumed(meter, customer, ['50']);
      expect(await triggersOf(stripe, paused)).toEqual([]);

      await stripe.billing.alerts.activate(paused.id);
      await consumed(meter, customer, ['9']);
      expect(await triggersOf(stripe, paused)).toEqual([]);
      await consumed(meter, customer, ['1']);
      expect((await triggersOf(stripe, paused)).map((t) => t.value)).toEqual([10]);
      expect(await triggersOf(stripe, archived)).toEqual([]);
    });

    it('stops counting a cancelled event towards an alert that has not fired; a fired alert stays fired', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const alert = await usageAlert(stripe, meter, 10, customer);
      const [mistake] = await consumed(meter, customer, ['8']);
      await cancel(meter, mistake!.identifier);
      await consumed(meter, customer, ['5']);
      expect(await triggersOf(stripe, alert)).toEqual([]);
      const [crossing] = await consumed(meter, customer, ['5']);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([10]);

      await cancel(meter, crossing!.identifier);
      await consumed(meter, customer, ['5']);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([10]);
    });

    it('takes off a cancelled event only if the alert counted it: not usage consumed while it was deactivated', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const alert = await usageAlert(stripe, meter, 10, customer);
      await consumed(meter, customer, ['3']);
      await stripe.billing.alerts.deactivate(alert.id);
      const [uncounted] = await consumed(meter, customer, ['50']);
      await stripe.billing.alerts.activate(alert.id);
      await cancel(meter, uncounted!.identifier);
      await consumed(meter, customer, ['6']);
      expect(await triggersOf(stripe, alert)).toEqual([]);
      await consumed(meter, customer, ['1']);
      expect((await triggersOf(stripe, alert)).map((t) => t.value)).toEqual([10]);
    });

    it('takes off a cancelled event it counted before a pause, also when cancelled during the pause', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const other = await stripe.customers.create({ name: 'second' });
      const resumed = await usageAlert(stripe, meter, 10, customer);
      const paused = await usageAlert(stripe, meter, 10, other);
      const [early] = await sendUsage(stack, meter, customer, ['8']);
      const [counted] = await consumed(meter, other, ['6']);

      // Counted, then deactivated and activated again, then cancelled.
      await stripe.billing.alerts.deactivate(resumed.id);
      await stripe.billing.alerts.activate(resumed.id);
      await cancel(meter, early!.identifier);
      // Counted, then cancelled while deactivated.
      await stripe.billing.alerts.deactivate(paused.id);
      await cancel(meter, counted!.identifier);
      await stripe.billing.alerts.activate(paused.id);

      await sendUsage(stack, meter, customer, ['9']);
      await consumed(meter, other, ['9']);
      expect(await triggersOf(stripe, resumed)).toEqual([]);
      expect(await triggersOf(stripe, paused)).toEqual([]);
      await sendUsage(stack, meter, customer, ['1']);
      await consumed(meter, other, ['1']);
      expect((await triggersOf(stripe, resumed)).map((t) => t.value)).toEqual([10]);
      expect((await triggersOf(stripe, paused)).map((t) => t.value)).toEqual([10]);
    });

    it('fires for a count meter, and for a last meter when one reported value reaches gte', async () => {
      const counted = await meterAndCustomer(stripe, 'count');
      const countAlert = await usageAlert(stripe, counted.meter, 3, counted.customer);
      await consumed(counted.meter, counted.customer, ['7', '7']);
      await sendUsage(stack, counted.meter, counted.customer, ['7']);
      const last = await meterAndCustomer(stripe, 'last');
      const lastAlert = await usageAlert(stripe, last.meter, 100, last.customer);
      await consumed(last.meter, last.customer, ['60', '90']);
      expect(await triggersOf(stripe, lastAlert)).toEqual([]);
      await consumed(last.meter, last.customer, ['120', '150']);
      await consumed(last.meter, last.customer, ['200']);
      expect((await triggersOf(stripe, countAlert)).map((t) => t.value)).toEqual([3]);
      expect((await triggersOf(stripe, lastAlert)).map((t) => t.value)).toEqual([150]);
    });
  });
});
