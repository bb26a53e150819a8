import Stripe from 'stripe';
import { DIRECTORY_TTL_MS } from '../../lib/metering/directory';
import { describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { customerParams, drained, expectInvalid, expectStripeError, meterParams, unique, usageOf, v1Event } from '../fixtures/stripe';

/** Ingest caches meters by event_name for a few seconds (per container); tests step the clock past it. */

describe('meters', () => {
  const { stack, stripe } = useStack({ nowMs: () => Date.now() + skewMs });
  let skewMs = 0;
  const stackNow = () => Math.floor((Date.now() + skewMs) / 1000);
  const letDirectoryCacheExpire = () => {
    skewMs += DIRECTORY_TTL_MS + 1_000;
  };

  it('creates a meter with Stripe defaults for customer_mapping and value_settings', async () => {
    const params = meterParams({ display_name: 'API calls', default_aggregation: { formula: 'count' } });
    const meter = await stripe.billing.meters.create(params);
    expect(meter.id).toMatch(/^mtr_[A-Za-z0-9]{24}$/);
    expect(meter).toMatchObject({
      object: 'billing.meter',
      display_name: 'API calls',
      event_name: params.event_name,
      event_time_window: null,
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      default_aggregation: { formula: 'count' },
      value_settings: { event_payload_key: 'value' },
      status: 'active',
      status_transitions: { deactivated_at: null },
      livemode: false,
    });
    expect(meter.updated).toBe(meter.created);
  });

  it('keeps the payload keys and time window it is given', async () => {
    const meter = await stripe.billing.meters.create(
      meterParams({
        customer_mapping: { event_payload_key: 'account', type: 'by_id' },
        value_settings: { event_payload_key: 'tokens' },
        event_time_window: 'hour',
      }),
    );
    expect(meter).toMatchObject({
      customer_mapping: { event_payload_key: 'account', type: 'by_id' },
      value_settings: { event_payload_key: 'tokens' },
      event_time_window: 'hour',
    });
  });

  it('aggregates events by its own payload keys', async () => {
    const meter = await stripe.billing.meters.create(
      meterParams({ customer_mapping: { event_payload_key: 'account', type: 'by_id' }, value_settings: { event_payload_key: 'tokens' } }),
    );
    const customer = await stripe.customers.create(customerParams());
    await stripe.billing.meterEvents.create({ event_name: meter.event_name, payload: { account: customer.id, tokens: '42' } });
    await drained(stack);
    expect(await usageOf(stripe, meter, customer)).toBe(42);
  });

  it('retrieves a meter by id', async () => {
    const created = await stripe.billing.meters.create(meterParams());
    expect({ ...(await stripe.billing.meters.retrieve(created.id)) }).toEqual({ ...created });
  });

  it('updates display_name only', async () => {
    const created = await stripe.billing.meters.create(meterParams({ display_name: 'Old name' }));
    const updated = await stripe.billing.meters.update(created.id, { display_name: 'New name' });
    expect(updated).toMatchObject({ id: created.id, display_name: 'New name', event_name: created.event_name, status: 'active' });
    expect((await stripe.billing.meters.retrieve(created.id)).display_name).toBe('New name');
  });

  it('rejects a second meter with the same event_name (400, param event_name)', async () => {
    const first = await stripe.billing.meters.create(meterParams());
    await expectInvalid(stripe.billing.meters.create(meterParams({ event_name: first.event_name })), 'event_name', 'resource_already_exists');
    const all = (await stripe.billing.meters.list({ limit: 100 })).data;
    expect(all.filter((m) => m.event_name === first.event_name).map((m) => m.id)).toEqual([first.id]);
  });

  it('lists meters filtered by status', async () => {
    const active = await stripe.billing.meters.create(meterParams());
    const inactive = await stripe.billing.meters.create(meterParams());
    await stripe.billing.meters.deactivate(inactive.id);

    const list = async (status?: 'active' | 'inactive') => (await stripe.billing.meters.list({ limit: 100, ...(status ? { status } : {}) })).data;
    const [activeOnes, inactiveOnes, all] = await Promise.all([list('active'), list('inactive'), list()]);
    expect(activeOnes.map((m) => m.id)).toContain(active.id);
    expect(inactiveOnes.map((m) => m.id)).toContain(inactive.id);
    expect(activeOnes.every((m) => m.status === 'active')).toBe(true);
    expect(inactiveOnes.every((m) => m.status === 'inactive')).toBe(true);
    expect(new Set(all.map((m) => m.id))).toEqual(new Set([...activeOnes, ...inactiveOnes].map((m) => m.id)));
    expect(all).toHaveLength(activeOnes.length + inactiveOnes.length);
  });

  it('auto-paginates the meter list', async () => {
    const all = (await stripe.billing.meters.list({ limit: 100 })).data.map((m) => m.id);
    const walked: string[] = [];
    for await (const meter of stripe.billing.meters.list({ limit: 3 })) walked.push(meter.id);
    expect(walked).toEqual(all);
  });

  describe('deactivation', () => {
    it('marks the meter inactive with deactivated_at, and reactivation clears it', async () => {
      const meter = await stripe.billing.meters.create(meterParams());
      const before = stackNow();
      const deactivated = await stripe.billing.meters.deactivate(meter.id);
      expect(deactivated.status).toBe('inactive');
      expect(deactivated.status_transitions.deactivated_at).toBeGreaterThanOrEqual(before);
      expect(deactivated.status_transitions.deactivated_at).toBeLessThanOrEqual(stackNow());
      expect((await stripe.billing.meters.retrieve(meter.id)).status).toBe('inactive');
      const reactivated = await stripe.billing.meters.reactivate(meter.id);
      expect(reactivated).toMatchObject({ status: 'active', status_transitions: { deactivated_at: null } });
    });

    it('refuses to deactivate an inactive meter or reactivate an active one', async () => {
      const meter = await stripe.billing.meters.create(meterParams());
      await expectInvalid(stripe.billing.meters.reactivate(meter.id), undefined, 'meter_already_active');
      await stripe.billing.meters.deactivate(meter.id);
      await expectInvalid(stripe.billing.meters.deactivate(meter.id), undefined, 'meter_already_inactive');
    });

    it('rejects events for an inactive meter and accepts them again once reactivated', async () => {
      const meter = await stripe.billing.meters.create(meterParams());
      const customer = await stripe.customers.create(customerParams());
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '1'));
      await drained(stack);

      await stripe.billing.meters.deactivate(meter.id);
      letDirectoryCacheExpire();
      await expectInvalid(stripe.billing.meterEvents.create(v1Event(meter, customer, '10')), 'event_name', 'archived_meter');

      await stripe.billing.meters.reactivate(meter.id);
      letDirectoryCacheExpire();
      await stripe.billing.meterEvents.create(v1Event(meter, customer, '100', { timestamp: stackNow() }));
      await drained(stack);
      expect(await usageOf(stripe, meter, customer)).toBe(101);
    });
  });

  it('answers 404 for an unknown meter', async () => {
    await expectStripeError(stripe.billing.meters.retrieve(`mtr_${unique('x')}`), Stripe.errors.StripeInvalidRequestError, {
      statusCode: 404,
      code: 'resource_missing',
    });
  });
});
