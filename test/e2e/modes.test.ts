import qs from 'qs';
import Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { stripeFor, useStack } from '../support/stack';
import { decimal, meteredPriceParams, productParams } from '../fixtures/catalog';
import { creditAlertParams, usageAlertParams } from '../fixtures/alerts';
import { grantParams, onlyPrices } from '../fixtures/credits';
import { advance, clockedCustomer, invoicesOf, item, subscriptionParams } from '../fixtures/billing';
import { endpointFor, Receiver } from '../fixtures/webhooks';
import { customerParams, drained, expectInvalid, expectStripeError, meterParams, nowSeconds, streamClient, unique, usageOf, v1Event } from '../fixtures/stripe';

type Mode = 'test' | 'live';
const MODES: Mode[] = ['test', 'live'];
const other = (mode: Mode): Mode => (mode === 'test' ? 'live' : 'test');

/** A request through the SDK's rawRequest, which takes GET parameters in the path. */
async function call(stripe: Stripe, method: 'GET' | 'POST' | 'DELETE', path: string, params: object = {}) {
  const response = method === 'POST' ? await stripe.rawRequest(method, path, params as Record<string, unknown>) : await stripe.rawRequest(method, `${path}?${qs.stringify(params)}`, null as never);
  return response as unknown as Record<string, any>;
}

/** One of everything a mode holds, each made through the SDK with that mode's key. */
interface World {
  customer: Stripe.Customer;
  meter: Stripe.Billing.Meter;
  product: Stripe.Product;
  price: Stripe.Price;
  subscription: Stripe.Subscription;
  invoice: Stripe.Invoice;
  grant: Stripe.Billing.CreditGrant;
  transaction: Stripe.Billing.CreditBalanceTransaction;
  alert: Stripe.Billing.Alert;
  endpoint: Stripe.WebhookEndpoint;
  event: Stripe.Event;
}

/** The same names in both modes: a meter's event_name, a price's lookup_key, a meter event's identifier. */
const shared = { eventName: unique('tokens'), lookupKey: unique('standard'), identifier: unique('evt') };

async function makeWorld(stripe: Stripe, mode: Mode): Promise<World> {
  const customer = await stripe.customers.create(customerParams({ name: `${mode} customer` }));
  const meter = await stripe.billing.meters.create(meterParams({ event_name: shared.eventName }));
  const product = await stripe.products.create(productParams({ name: `${mode} product` }));
  const price = await stripe.prices.create({
    ...meteredPriceParams(product.id, meter.id, { unit_amount_decimal: decimal('2') }),
    lookup_key: shared.lookupKey,
  });
  const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(price)]));
  const [invoice] = await invoicesOf(stripe, subscription);
  const grant = await stripe.billing.creditGrants.create(grantParams(customer, { applicability_config: { scope: onlyPrices(price) } }));
  const [transaction] = (await stripe.billing.creditBalanceTransactions.list({ customer: customer.id })).data;
  const alert = await stripe.billing.alerts.create(usageAlertParams(meter, 1000, customer));
  // Live endpoints must be publicly reachable; subscribed to an event nothing here sends, so nothing is delivered.
  const endpoint = await stripe.webhookEndpoints.create({ url: `https://example.com/${mode}`, enabled_events: ['invoice.voided'] });
  const [event] = (await stripe.events.list({ limit: 1 })).data;
  return { customer, meter, product, price, subscription, invoice: invoice!, grant, transaction: transaction!, alert, endpoint, event: event! };
}

describe('test mode and live mode', () => {
  const { stack } = useStack();
  const stripe = {} as Record<Mode, Stripe>;
  const world = {} as Record<Mode, World>;

  beforeAll(async () => {
    stripe.test = stack.stripe;
    const { secret } = await stack.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now: nowSeconds() });
    stripe.live = stripeFor(stack.url, secret);
    for (const mode of MODES) world[mode] = await makeWorld(stripe[mode], mode);
    await drained(stack);
  });

  describe('the same story in both modes', () => {
    it('keeps each object in the mode of the key that made it', () => {
      for (const mode of MODES) {
        for (const object of Object.values(world[mode])) expect(object.livemode, `${object.object} ${object.id}`).toBe(mode === 'live');
      }
    });

    it('lets both modes use the same event_name and lookup_key, each resolving to its own', async () => {
      for (const mode of MODES) {
        expect(world[mode].meter.event_name).toBe(shared.eventName);
        const { data } = await stripe[mode].prices.list({ lookup_keys: [shared.lookupKey] });
        expect(data.map((p) => p.id)).toEqual([world[mode].price.id]);
      }
    });

    it('lists only the caller\'s mode, whatever the other holds', async () => {
      for (const mode of MODES) {
        const s = stripe[mode];
        const w = world[mode];
        const ids = async (list: Promise<{ data: { id: string }[] }>) => (await list).data.map((o) => o.id);
        expect(await ids(s.customers.list({ limit: 100 }))).toEqual([w.customer.id]);
        expect(await ids(s.billing.meters.list({ limit: 100 }))).toEqual([w.meter.id]);
        expect(await ids(s.products.list({ limit: 100 }))).toEqual([w.product.id]);
        expect(await ids(s.prices.list({ limit: 100 }))).toEqual([w.price.id]);
        expect(await ids(s.subscriptions.list({ limit: 100 }))).toEqual([w.subscription.id]);
        expect(await ids(s.invoices.list({ limit: 100 }))).toEqual([w.invoice.id]);
        expect(await ids(s.billing.creditGrants.list({ limit: 100 }))).toEqual([w.grant.id]);
        expect(await ids(s.billing.alerts.list({ limit: 100 }))).toEqual([w.alert.id]);
        expect(await ids(s.webhookEndpoints.list({ limit: 100 }))).toEqual([w.endpoint.id]);
        const events = (await s.events.list({ limit: 100 })).data;
        expect(events.length).toBeGreaterThan(5);
        expect(events.every((e) => e.livemode === (mode === 'live'))).toBe(true);
      }
    });

    it('counts a test event and a live event with the same identifier as two events, each for its own mode', async () => {
      const values: Record<Mode, string> = { test: '3', live: '7' };
      for (const mode of MODES) {
        await stripe[mode].billing.meterEvents.create(v1Event(world[mode].meter, world[mode].customer, values[mode], { identifier: shared.identifier }));
      }
      await drained(stack);
      for (const mode of MODES) expect(await usageOf(stripe[mode], world[mode].meter, world[mode].customer)).toBe(Number(values[mode]));
      // The same identifier again in each mode is a duplicate there, and counts nowhere.
      for (const mode of MODES) {
        await stripe[mode].billing.meterEvents.create(v1Event(world[mode].meter, world[mode].customer, '100', { identifier: shared.identifier }));
      }
      await drained(stack);
      for (const mode of MODES) expect(await usageOf(stripe[mode], world[mode].meter, world[mode].customer)).toBe(Number(values[mode]));
    });

    it('never counts usage of one mode towards a customer of the other', async () => {
      for (const mode of MODES) {
        const foreign = world[other(mode)].customer;
        await expectInvalid(
          stripe[mode].billing.meterEvents.create(v1Event(world[mode].meter, foreign, '50', { identifier: unique('cross') })),
          'payload[stripe_customer_id]',
          'meter_event_customer_not_found',
        );
        await expectInvalid(
          stripe[mode].v2.billing.meterEvents.create({ event_name: shared.eventName, payload: { stripe_customer_id: foreign.id, value: '50' } }),
          'payload[stripe_customer_id]',
          'meter_event_customer_not_found',
        );
        // The stream validates later: the event is reported in its own mode, and counts nowhere.
        const stream = await streamClient(stack, stripe[mode]);
        await stream.v2.billing.meterEventStream.create({ events: [{ event_name: shared.eventName, payload: { stripe_customer_id: foreign.id, value: '50' } }] });
      }
      await drained(stack);
      for (const mode of MODES) {
        const reports = await call(stripe[mode], 'GET', '/v2/core/events', { object_id: world[mode].meter.id });
        expect(reports.data.map((r: { livemode: boolean }) => r.livemode)).toEqual([mode === 'live']);
      }
      expect(await usageOf(stripe.test, world.test.meter, world.test.customer)).toBe(3);
      expect(await usageOf(stripe.live, world.live.meter, world.live.customer)).toBe(7);
    });

    it('refuses test clocks to a live key, and keeps a clock advance\'s invoices in test mode', async () => {
      await expectInvalid(stripe.live.testHelpers.testClocks.create({ frozen_time: nowSeconds() }), undefined, 'livemode_mismatch');
      await expectInvalid(stripe.live.testHelpers.testClocks.list(), undefined, 'livemode_mismatch');
      const { clock, customer } = await clockedCustomer(stripe.test, Date.UTC(2026, 2, 1) / 1000);
      await expectStripeError(stripe.live.testHelpers.testClocks.retrieve(clock.id), Stripe.errors.StripeInvalidRequestError, { statusCode: 400, code: 'livemode_mismatch' });
      await expectInvalid(stripe.live.customers.create(customerParams({ test_clock: clock.id })), 'test_clock', 'resource_missing');

      const liveInvoicesBefore = (await stripe.live.invoices.list({ limit: 100 })).data.map((i) => i.id);
      const subscription = await stripe.test.subscriptions.create(subscriptionParams(customer, [item(world.test.price)]));
      await advance(stripe.test, clock, Date.UTC(2026, 4, 2) / 1000);
      expect((await invoicesOf(stripe.test, subscription)).length).toBeGreaterThan(1);
      expect((await stripe.live.invoices.list({ limit: 100 })).data.map((i) => i.id)).toEqual(liveInvoicesBefore);
    });

    it('delivers each mode\'s events to its own endpoints only', async () => {
      const receiver = await Receiver.start();
      try {
        const endpoint = await endpointFor(stripe.test, receiver, ['customer.created']);
        await stripe.live.customers.create(customerParams({ name: 'live, after the endpoint' }));
        const testCustomer = await stripe.test.customers.create(customerParams({ name: 'test, after the endpoint' }));
        await drained(stack);
        expect(receiver.deliveries.map((d) => [d.event.type, d.event.livemode, (d.event.data.object as Stripe.Customer).id])).toEqual([
          ['customer.created', false, testCustomer.id],
        ]);
        await stripe.test.webhookEndpoints.del(endpoint.id);
      } finally {
        await receiver.close();
      }
    });
  });

  describe('an id of the other mode is no such object', () => {
    /** Every route that takes an id in its path: called by `caller` with the other mode's object. */
    const pathCases = (w: World) => [
      ['GET', `/v1/customers/${w.customer.id}`],
      ['POST', `/v1/customers/${w.customer.id}`, { name: 'renamed' }],
      ['DELETE', `/v1/customers/${w.customer.id}`],
      ['GET', `/v1/billing/meters/${w.meter.id}`],
      ['POST', `/v1/billing/meters/${w.meter.id}`, { display_name: 'renamed' }],
      ['POST', `/v1/billing/meters/${w.meter.id}/deactivate`],
      ['POST', `/v1/billing/meters/${w.meter.id}/reactivate`],
      ['GET', `/v1/products/${w.product.id}`],
      ['POST', `/v1/products/${w.product.id}`, { name: 'renamed' }],
      ['DELETE', `/v1/products/${w.product.id}`],
      ['GET', `/v1/prices/${w.price.id}`],
      ['POST', `/v1/prices/${w.price.id}`, { nickname: 'renamed' }],
      ['GET', `/v1/subscriptions/${w.subscription.id}`],
      ['POST', `/v1/subscriptions/${w.subscription.id}`, { metadata: { k: 'v' } }],
      ['DELETE', `/v1/subscriptions/${w.subscription.id}`],
      ['GET', `/v1/invoices/${w.invoice.id}`],
      ['GET', `/v1/invoices/${w.invoice.id}/lines`],
      ['POST', `/v1/invoices/${w.invoice.id}/finalize`],
      ['POST', `/v1/invoices/${w.invoice.id}/pay`, { paid_out_of_band: true }],
      ['POST', `/v1/invoices/${w.invoice.id}/void`],
      ['POST', `/v1/invoices/${w.invoice.id}/mark_uncollectible`],
      ['GET', `/v1/billing/credit_grants/${w.grant.id}`],
      ['POST', `/v1/billing/credit_grants/${w.grant.id}`, { metadata: { k: 'v' } }],
      ['POST', `/v1/billing/credit_grants/${w.grant.id}/expire`],
      ['POST', `/v1/billing/credit_grants/${w.grant.id}/void`],
      ['GET', `/v1/billing/credit_balance_transactions/${w.transaction.id}`],
      ['GET', `/v1/billing/alerts/${w.alert.id}`],
      ['POST', `/v1/billing/alerts/${w.alert.id}/deactivate`],
      ['POST', `/v1/billing/alerts/${w.alert.id}/activate`],
      ['POST', `/v1/billing/alerts/${w.alert.id}/archive`],
      ['GET', `/v1/webhook_endpoints/${w.endpoint.id}`],
      ['POST', `/v1/webhook_endpoints/${w.endpoint.id}`, { url: 'https://example.org/mine' }],
      ['DELETE', `/v1/webhook_endpoints/${w.endpoint.id}`],
      ['GET', `/v1/webhook_endpoints/${w.endpoint.id}/attempts`],
      ['GET', `/v1/events/${w.event.id}`],
    ] as const;

    /** Every reference parameter: the request is valid but for one id of the other mode, which the 400 names. */
    const metered = (product: string, meter: string) => ({ product, currency: 'usd', unit_amount: 5, recurring: { interval: 'month', usage_type: 'metered', meter } });
    const referenceCases = (mine: World, theirs: World) => [
      ['POST', '/v1/prices', metered(theirs.product.id, mine.meter.id), 'product'],
      ['POST', '/v1/prices', metered(mine.product.id, theirs.meter.id), 'recurring[meter]'],
      ['POST', '/v1/subscriptions', { customer: theirs.customer.id, items: [{ price: mine.price.id }] }, 'customer'],
      ['POST', '/v1/subscriptions', { customer: mine.customer.id, items: [{ price: theirs.price.id }] }, 'items[0][price]'],
      ['GET', '/v1/subscriptions', { customer: theirs.customer.id }, 'customer'],
      ['GET', '/v1/invoices', { customer: theirs.customer.id }, 'customer'],
      ['GET', '/v1/invoices', { subscription: theirs.subscription.id }, 'subscription'],
      ['POST', '/v1/invoices/create_preview', { customer: theirs.customer.id }, 'customer'],
      ['POST', '/v1/invoices/create_preview', { customer: mine.customer.id, subscription: theirs.subscription.id }, 'subscription'],
      ['POST', '/v1/billing/credit_grants', grantParams(theirs.customer), 'customer'],
      [
        'POST',
        '/v1/billing/credit_grants',
        grantParams(mine.customer, { applicability_config: { scope: onlyPrices(theirs.price) } }) as unknown as Record<string, unknown>,
        'applicability_config[scope][prices][0][id]',
      ],
      ['GET', '/v1/billing/credit_grants', { customer: theirs.customer.id }, 'customer'],
      ['GET', '/v1/billing/credit_balance_summary', { customer: theirs.customer.id, filter: { type: 'applicability_scope', applicability_scope: { price_type: 'metered' } } }, 'customer'],
      ['GET', '/v1/billing/credit_balance_transactions', { customer: theirs.customer.id }, 'customer'],
      ['GET', '/v1/billing/credit_balance_transactions', { customer: mine.customer.id, credit_grant: theirs.grant.id }, 'credit_grant'],
      ['POST', '/v1/billing/alerts', usageAlertParams(theirs.meter, 10), 'usage_threshold[meter]'],
      ['POST', '/v1/billing/alerts', usageAlertParams(mine.meter, 10, theirs.customer), 'usage_threshold[filters][0][customer]'],
      ['POST', '/v1/billing/alerts', creditAlertParams(theirs.customer, 10), 'credit_balance_threshold[filters][0][customer]'],
      ['GET', `/v1/billing/meters/${mine.meter.id}/event_summaries`, { customer: theirs.customer.id, start_time: 0, end_time: 3600 }, 'customer'],
    ] as const;

    /** What both modes hold, as each sees it: nothing a refused request did may show here. */
    async function snapshot() {
      return Promise.all(
        MODES.map(async (mode) => {
          const s = stripe[mode];
          const w = world[mode];
          return JSON.stringify([
            (await s.events.list({ limit: 1 })).data[0]?.id,
            await s.customers.retrieve(w.customer.id),
            await s.billing.meters.retrieve(w.meter.id),
            await s.products.retrieve(w.product.id),
            await s.prices.retrieve(w.price.id),
            await s.subscriptions.retrieve(w.subscription.id),
            await s.invoices.retrieve(w.invoice.id),
            await s.billing.creditGrants.retrieve(w.grant.id),
            await s.billing.alerts.retrieve(w.alert.id),
            await s.webhookEndpoints.retrieve(w.endpoint.id),
          ]);
        }),
      );
    }

    for (const mode of MODES) {
      it(`answers a ${mode} key 404 resource_missing on every route that takes an id of the other mode, and writes nothing`, async () => {
        const before = await snapshot();
        const theirs = world[other(mode)];
        for (const [method, path, params] of pathCases(theirs)) {
          const error = await call(stripe[mode], method, path, params).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, `${method} ${path}`).toMatchObject({ statusCode: 404, code: 'resource_missing' });
        }
        expect(await snapshot()).toEqual(before);
      });

      it(`answers a ${mode} key 400 resource_missing naming each reference parameter of the other mode, and writes nothing`, async () => {
        const before = await snapshot();
        for (const [method, path, params, param] of referenceCases(world[mode], world[other(mode)])) {
          const error = await call(stripe[mode], method, path, params).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, `${method} ${path} ${param}`).toMatchObject({ statusCode: 400, code: 'resource_missing', param });
        }
        expect(await snapshot()).toEqual(before);
      });
    }
  });

  describe('the billing scheduler and worker', () => {
    let nowMs = Date.now();
    const { stack: clocked } = useStack({ nowMs: () => nowMs, invoiceGraceSeconds: 3600 });

    it('bill both modes, each from its own data', async () => {
      const { secret } = await clocked.services.apiKeys.create({ type: 'secret', name: 'live', livemode: true, now: Math.floor(nowMs / 1000) });
      const clients: Record<Mode, Stripe> = { test: clocked.stripe, live: stripeFor(clocked.url, secret) };
      const subscriptions = {} as Record<Mode, Stripe.Subscription>;
      for (const mode of MODES) {
        const s = clients[mode];
        const customer = await s.customers.create(customerParams());
        const product = await s.products.create(productParams());
        const price = await s.prices.create({ product: product.id, currency: 'usd', unit_amount: mode === 'live' ? 700 : 300, recurring: { interval: 'day' } });
        subscriptions[mode] = await s.subscriptions.create(subscriptionParams(customer, [item(price, 1)]));
      }
      // A day and the grace period later, as the schedule would: close each period, then finalize its draft.
      nowMs += 86_400_000 + 60_000;
      expect((await clocked.runBillingScheduler()).queued).toBe(2);
      await drained(clocked);
      nowMs += 2 * 3_600_000;
      expect((await clocked.runBillingScheduler()).queued).toBe(2);
      await drained(clocked);
      for (const mode of MODES) {
        const invoices = (await clients[mode].invoices.list({ limit: 100 })).data;
        expect(invoices.map((i) => [i.livemode, i.status, i.total])).toEqual([
          [mode === 'live', 'open', mode === 'live' ? 700 : 300],
          [mode === 'live', 'open', mode === 'live' ? 700 : 300],
        ]);
        expect(invoices.every((i) => (i.parent?.subscription_details?.subscription ?? (i as unknown as { subscription: string }).subscription) === subscriptions[mode].id)).toBe(true);
      }
    });
  });
});
