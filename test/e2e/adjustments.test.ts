import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { drained, expectInvalid, meterAndCustomer, meterParams, nowSeconds, unique, usageOf, v1Event, type Formula } from '../fixtures/stripe';

describe('meter event adjustments', () => {
  const { stack, stripe } = useStack();

  /** A meter and customer with two applied events: `kept` (value 3) and `cancelled` (value 5). */
  async function twoEvents(formula: Formula = 'sum', timestamps: [number, number] = [nowSeconds() - 120, nowSeconds() - 60]) {
    const { meter, customer } = await meterAndCustomer(stripe, formula);
    const kept = unique('kept');
    const cancelled = unique('cancelled');
    await stripe.billing.meterEvents.create(v1Event(meter, customer, '3', { identifier: kept, timestamp: timestamps[0] }));
    await stripe.billing.meterEvents.create(v1Event(meter, customer, '5', { identifier: cancelled, timestamp: timestamps[1] }));
    await drained(stack);
    return { meter, customer, kept, cancelled };
  }

  const cancelV1 = (eventName: string, identifier: string) =>
    stripe.billing.meterEventAdjustments.create({ event_name: eventName, type: 'cancel', cancel: { identifier } });
  const cancelV2 = (eventName: string, identifier: string) =>
    stripe.v2.billing.meterEventAdjustments.create({ event_name: eventName, type: 'cancel', cancel: { identifier } });

  it('v1 cancel removes exactly that event from a sum', async () => {
    const { meter, customer, cancelled } = await twoEvents();
    expect(await usageOf(stripe, meter, customer)).toBe(8);

    const adjustment = await cancelV1(meter.event_name, cancelled);
    expect(adjustment).toMatchObject({
      object: 'billing.meter_event_adjustment',
      event_name: meter.event_name,
      livemode: false,
      status: 'pending',
      type: 'cancel',
      cancel: { identifier: cancelled },
    });
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(3);
  });

  it('v2 cancel removes exactly that event from a sum', async () => {
    const { meter, customer, cancelled } = await twoEvents();
    const adjustment = await cancelV2(meter.event_name, cancelled);
    expect(adjustment).toMatchObject({
      object: 'v2.billing.meter_event_adjustment',
      event_name: meter.event_name,
      status: 'pending',
      type: 'cancel',
      cancel: { identifier: cancelled },
    });
    expect(adjustment.id).toMatch(/^mea_/);
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(3);
  });

  it('removes an event once however many times it is cancelled, through v1 and v2', async () => {
    const { meter, customer, cancelled } = await twoEvents();
    await cancelV1(meter.event_name, cancelled);
    await drained(stack);
    await cancelV1(meter.event_name, cancelled);
    await cancelV2(meter.event_name, cancelled);
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(3);
  });

  it('keeps a cancelled identifier used: sending it again does not count', async () => {
    const { meter, customer, cancelled } = await twoEvents();
    await cancelV1(meter.event_name, cancelled);
    await drained(stack);
    await stripe.billing.meterEvents.create(v1Event(meter, customer, '5', { identifier: cancelled }));
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(3);
  });

  it('removes one from a count meter', async () => {
    const { meter, customer, cancelled } = await twoEvents('count');
    await cancelV2(meter.event_name, cancelled);
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(1);
  });

  it('falls back to the previous value on a last meter when the latest event is cancelled', async () => {
    const { meter, customer, cancelled } = await twoEvents('last');
    expect(await usageOf(stripe, meter, customer)).toBe(5);
    await cancelV1(meter.event_name, cancelled);
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(3);
  });

  it('restores the total when a negative correction is cancelled', async () => {
    const { meter, customer } = await meterAndCustomer(stripe);
    const identifier = unique('neg');
    await stripe.billing.meterEvents.create(v1Event(meter, customer, '10'));
    await stripe.billing.meterEvents.create(v1Event(meter, customer, '-2.5', { identifier }));
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(7.5);
    await cancelV1(meter.event_name, identifier);
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(10);
  });

  it('rejects a cancel whose event_name is not the event’s (400, param cancel[identifier]) and changes nothing', async () => {
    const { meter, customer, cancelled } = await twoEvents();
    const other = await stripe.billing.meters.create(meterParams());
    await expectInvalid(cancelV1(other.event_name, cancelled), 'cancel[identifier]');
    await expectInvalid(cancelV2(other.event_name, cancelled), 'cancel[identifier]');
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(8);
  });
});
