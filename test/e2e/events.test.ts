import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { productParams, licensedPriceParams } from '../fixtures/catalog';
import { afterGrace, april, clockedCustomer, item, licensedPrice, march, newMeter, subscriptionParams } from '../fixtures/billing';
import { meterAndCustomer, streamClient, unique, v2Event } from '../fixtures/stripe';

/** The events recorded for one object, oldest first. */
async function eventsOf(stripe: Stripe, objectId: string, params: Stripe.EventListParams = {}): Promise<Stripe.Event[]> {
  const found: Stripe.Event[] = [];
  for await (const event of stripe.events.list({ limit: 100, ...params })) {
    if ((event.data.object as { id?: string }).id === objectId) found.push(event);
  }
  return found.reverse();
}

const typesOf = (events: Stripe.Event[]) => events.map((event) => event.type);

describe('events', () => {
  // The local stack has no EventBridge: the client is a stand-in that records what is put on the bus.
  // Its hooks come first, so that it answers before the stack starts and until the stack has stopped.
  const eventBridge = mockClient(EventBridgeClient);
  beforeAll(() => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  });
  afterAll(() => {
    eventBridge.restore();
  });
  const { stack, stripe } = useStack({ eventBusName: 'meterline-test-bus', eventBridge: new EventBridgeClient({ region: 'us-east-1' }) });

  describe('every state change records an event', () => {
    it('customers: created, updated with previous_attributes, deleted with the customer as it was', async () => {
      const customer = await stripe.customers.create({ name: 'Ada', email: 'ada@example.com' });
      await stripe.customers.update(customer.id, { name: 'Ada L.', metadata: { plan: 'pro' } });
      await stripe.customers.del(customer.id);

      const events = await eventsOf(stripe, customer.id);
      expect(typesOf(events)).toEqual(['customer.created', 'customer.updated', 'customer.deleted']);
      const [created, updated, deleted] = events as [Stripe.Event, Stripe.Event, Stripe.Event];
      expect(created).toMatchObject({ object: 'event', livemode: false, api_version: '2026-10-28.endive', data: { object: { id: customer.id, name: 'Ada' } } });
      expect(created.id).toMatch(/^evt_/);
      expect(created.data).not.toHaveProperty('previous_attributes');
      expect(updated.data.object).toMatchObject({ name: 'Ada L.', metadata: { plan: 'pro' } });
      expect(updated.data.previous_attributes).toEqual({ name: 'Ada', metadata: {} });
      expect(deleted.data.object).toMatchObject({ id: customer.id, name: 'Ada L.' });
    });

    it('meters: created, updated, deactivated, reactivated', async () => {
      const meter = await newMeter(stripe);
      await stripe.billing.meters.update(meter.id, { display_name: 'Renamed' });
      await stripe.billing.meters.deactivate(meter.id);
      await stripe.billing.meters.reactivate(meter.id);
      const events = await eventsOf(stripe, meter.id);
      expect(typesOf(events)).toEqual(['billing.meter.created', 'billing.meter.updated', 'billing.meter.deactivated', 'billing.meter.reactivated']);
      expect(events[1]!.data.previous_attributes).toMatchObject({ display_name: meter.display_name });
      expect(events[2]!.data.previous_attributes).toMatchObject({ status: 'active' });
    });

    it('products and prices: created (an inline product too), updated, deleted', async () => {
      const product = await stripe.products.create(productParams());
      const price = await stripe.prices.create(licensedPriceParams(product.id));
      await stripe.prices.update(price.id, { nickname: 'seat' });
      await stripe.products.update(product.id, { name: 'Renamed' });
      const inline = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'Inline' } });
      const empty = await stripe.products.create(productParams());
      await stripe.products.del(empty.id);

      expect(typesOf(await eventsOf(stripe, product.id))).toEqual(['product.created', 'product.updated']);
      const priceEvents = await eventsOf(stripe, price.id);
      expect(typesOf(priceEvents)).toEqual(['price.created', 'price.updated']);
      expect(priceEvents[1]!.data.previous_attributes).toEqual({ nickname: null });
      expect(typesOf(await eventsOf(stripe, inline.product as string))).toEqual(['product.created']);
      expect(typesOf(await eventsOf(stripe, empty.id))).toEqual(['product.created', 'product.deleted']);
    });

    it('test clocks: created, advancing, ready, deleted; what an advance brings about names no request', async () => {
      const { clock, customer, product } = await clockedCustomer(stripe, march.start);
      const price = await licensedPrice(stripe, product.id);
      const subscription = await stripe.subscriptions.create(subscriptionParams(customer, [item(price, 1)]));
      const advance = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: afterGrace(april.start) });
      await stripe.testHelpers.testClocks.del(clock.id);
      expect(typesOf(await eventsOf(stripe, clock.id))).toEqual([
        'test_helpers.test_clock.created',
        'test_helpers.test_clock.advancing',
        'test_helpers.test_clock.ready',
        'test_helpers.test_clock.deleted',
      ]);
      const invoices = (await stripe.events.list({ type: 'invoice.*', limit: 100 })).data.filter(
        (event) => (event.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === subscription.id,
      );
      // The first invoice comes from the create request; March's close and finalization from the advance.
      const byRequest = invoices.filter((event) => event.request?.id !== null);
      const automatic = invoices.filter((event) => event.request?.id === null);
      expect(byRequest.length).toBeGreaterThan(0);
      expect(automatic.map((event) => event.type)).toEqual(expect.arrayContaining(['invoice.created', 'invoice.finalized']));
      expect(automatic.every((event) => event.request?.id !== advance.lastResponse.requestId)).toBe(true);

      // The renewal on April 1 moved the items' period: customer.subscription.updated says from what.
      const subscriptionEvents = await eventsOf(stripe, subscription.id);
      expect(typesOf(subscriptionEvents)).toEqual(['customer.subscription.created', 'customer.subscription.updated']);
      const renewal = subscriptionEvents[1]!;
      expect(renewal.created).toBe(april.start);
      expect(renewal.request).toEqual({ id: null, idempotency_key: null });
      const previousItems = (renewal.data.previous_attributes as { items: Stripe.ApiList<Stripe.SubscriptionItem> }).items.data;
      expect(previousItems[0]).toMatchObject({ current_period_start: march.start, current_period_end: april.start });
      expect((renewal.data.object as Stripe.Subscription).items.data[0]).toMatchObject({ current_period_start: april.start });
    });

    it('meter error reports: billing.meter.error_report_triggered carries the report', async () => {
      const { meter, customer } = await meterAndCustomer(stripe);
      const stream = await streamClient(stack);
      await stream.v2.billing.meterEventStream.create({ events: [v2Event(meter, customer, 'abc', { identifier: unique('bad') })] });
      await stack.drain();
      const [report] = (await stripe.events.list({ type: 'billing.meter.error_report_triggered', limit: 100 })).data.filter(
        (event) => (event.data.object as { related_object?: { id: string } }).related_object?.id === meter.id,
      );
      expect(report!.data.object).toMatchObject({ object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered', data: { reason: { error_count: 1 } } });
      expect(report!.request).toEqual({ id: null, idempotency_key: null });
    });
  });

  describe('request', () => {
    it('names the API request (its Request-Id) and the Idempotency-Key it was sent with', async () => {
      const key = unique('idem');
      const customer = await stripe.customers.create({ name: 'Keyed' }, { idempotencyKey: key });
      const [created] = await eventsOf(stripe, customer.id);
      expect(created!.request).toEqual({ id: customer.lastResponse.requestId, idempotency_key: key });
      expect(created!.request!.id).toMatch(/^req_/);

      // A replay returns the first response and records nothing new.
      await stripe.customers.create({ name: 'Keyed' }, { idempotencyKey: key });
      expect(await eventsOf(stripe, customer.id)).toHaveLength(1);

      const plain = await stripe.customers.update(customer.id, { name: 'No key' }, { idempotencyKey: undefined });
      const updated = (await eventsOf(stripe, customer.id))[1]!;
      expect(updated.request!.id).toBe(plain.lastResponse.requestId);
    });
  });

  describe('GET /v1/events', () => {
    it('filters by types[], by a type pattern and by created ranges, newest first, and pages across types', async () => {
      const customers = [];
      for (let i = 0; i < 3; i++) customers.push(await stripe.customers.create({ name: `filter ${i}` }));
      for (const customer of customers) await stripe.customers.update(customer.id, { name: `${customer.name} updated` });
      const ids = new Set(customers.map((c) => c.id));
      const ours = (events: Stripe.Event[]) => events.filter((e) => ids.has((e.data.object as { id: string }).id));

      const all = ours((await stripe.events.list({ types: ['customer.created', 'customer.updated'], limit: 100 })).data);
      expect(all).toHaveLength(6);
      const order = all.map((e) => `${e.created}#${e.id}`);
      expect(order).toEqual([...order].sort().reverse());
      expect(new Set(all.map((e) => e.type))).toEqual(new Set(['customer.created', 'customer.updated']));

      // Paging two at a time through two per-type lists gives the same events in the same order.
      const paged: Stripe.Event[] = [];
      for await (const event of stripe.events.list({ types: ['customer.created', 'customer.updated'], limit: 2 })) paged.push(event);
      expect(ours(paged).map((e) => e.id)).toEqual(all.map((e) => e.id));

      const pattern = ours((await stripe.events.list({ type: 'customer.*', limit: 100 })).data);
      expect(pattern.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(ours((await stripe.events.list({ type: '*.updated', limit: 100 })).data)).toHaveLength(3);

      const first = all.at(-1)!.created;
      const inRange = ours((await stripe.events.list({ types: ['customer.created'], created: { gte: first, lte: first + 3600 }, limit: 100 })).data);
      expect(inRange.map((e) => e.id)).toEqual(all.filter((e) => e.type === 'customer.created').map((e) => e.id));
      expect(ours((await stripe.events.list({ created: { lt: first }, limit: 100 })).data)).toEqual([]);
      expect(ours((await stripe.events.list({ created: { gt: first + 3600 }, limit: 100 })).data)).toEqual([]);

      // ending_before walks back towards newer events.
      const older = await stripe.events.list({ types: ['customer.created', 'customer.updated'], starting_after: all[1]!.id, limit: 2 });
      expect(older.data.map((e) => e.id)).toEqual([all[2]!.id, all[3]!.id]);
      const newer = await stripe.events.list({ types: ['customer.created', 'customer.updated'], ending_before: all[2]!.id, limit: 2 });
      expect(newer.data.map((e) => e.id)).toEqual([all[0]!.id, all[1]!.id]);
    });

    it('an unknown type lists nothing; type and types together, or bad ranges, are 400s naming the parameter', async () => {
      expect((await stripe.events.list({ type: 'no.such.event' })).data).toEqual([]);
      const both = await stripe.events.list({ type: 'customer.created', types: ['customer.updated'] }).catch((e: unknown) => e as Stripe.errors.StripeError);
      expect(both).toMatchObject({ statusCode: 400, param: 'types' });
      const badRange = await stripe.events.list({ created: { gte: 'soon' as unknown as number } }).catch((e: unknown) => e as Stripe.errors.StripeError);
      expect(badRange).toMatchObject({ statusCode: 400, param: 'created[gte]' });
      const tooMany = await stripe.events.list({ types: Array.from({ length: 21 }, () => 'customer.created') }).catch((e: unknown) => e as Stripe.errors.StripeError);
      expect(tooMany).toMatchObject({ statusCode: 400, param: 'types' });
    });
  });

  describe('EventBridge', () => {
    it('publishes every event to the bus through the table stream: source meterline, detail-type the event type, detail the event', async () => {
      const customer = await stripe.customers.create({ name: 'On the bus' });
      const [event] = await eventsOf(stripe, customer.id);
      await expect.poll(() => busEntries().find((entry) => entry.Detail && JSON.parse(entry.Detail).id === event!.id), { timeout: 30_000 }).toBeDefined();
      const entry = busEntries().find((e) => JSON.parse(e.Detail!).id === event!.id)!;
      expect(entry).toMatchObject({ EventBusName: 'meterline-test-bus', Source: 'meterline', DetailType: 'customer.created' });
      expect(JSON.parse(entry.Detail!)).toEqual(stripFields(event!));
    });
  });

  function busEntries() {
    return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  }
});

/** The event as the API shows it, without the SDK's response metadata. */
function stripFields(event: Stripe.Event): unknown {
  const { lastResponse: _ignored, ...rest } = event as Stripe.Event & { lastResponse?: unknown };
  return JSON.parse(JSON.stringify(rest));
}
