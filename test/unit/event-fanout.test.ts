import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { busEntry, EventBusPublisher } from '../../lib/events/event-bus';
import { newEvent, type StripeEvent } from '../../lib/events/events';
import { eventsIn, makeEventFanOutHandler, resendsIn } from '../../lib/queue/event-fanout-handler';
import { keysFor } from '../../lib/store/keys';
import type { WebhookResend } from '../../lib/webhooks/model';

const keys = keysFor('test');

const event = (type: string): StripeEvent => newEvent({ type, object: { livemode: false }, created: 1_780_000_000, nowMs: Date.now() });

/** A stream record of an item written to the main table. */
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Record<string, unknown>) {
  return { eventName, dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) } };
}

describe('the bus publisher', () => {
  // EventBridge has no local emulator; throttled entries are what a real bus cannot be made to show.
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => eventBridge.reset());

  it('puts events ten to a call with source meterline and the event type as detail-type', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const events = Array.from({ length: 23 }, (_, i) => event(i % 2 ? 'invoice.paid' : 'customer.created'));
    await new EventBusPublisher(new EventBridgeClient({}), 'bus').publish(events);
    const calls = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries!);
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    const entries = calls.flat();
    expect(entries.map((e) => JSON.parse(e.Detail!).id)).toEqual(events.map((e) => e.id));
    expect(entries[1]).toMatchObject({ EventBusName: 'bus', Source: 'meterline', DetailType: 'invoice.paid', Time: new Date(1_780_000_000_000) });
  });

  it('puts refused entries again, and throws when they are still refused', async () => {
    const events = [event('customer.created'), event('customer.updated')];
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolves({ FailedEntryCount: 0 });
    await new EventBusPublisher(new EventBridgeClient({}), 'bus').publish(events);
    const second = eventBridge.commandCalls(PutEventsCommand)[1]!.args[0].input.Entries!;
    expect(second.map((e) => JSON.parse(e.Detail!).id)).toEqual([events[1]!.id]);

    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalException', ErrorMessage: 'boom' }] });
    await expect(new EventBusPublisher(new EventBridgeClient({}), 'bus').publish([events[0]!])).rejects.toThrow(/InternalException: boom/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});

describe('events in a stream batch', () => {
  it('are the inserted event items only, whole', () => {
    const invoicePaid = event('invoice.paid');
    const stream = {
      Records: [
        record('INSERT', { ...keys.object('event', invoicePaid.id), object: invoicePaid }),
        record('INSERT', { ...keys.object('customer', 'cus_1'), object: { id: 'cus_1', metadata: {} } }),
        record('MODIFY', { ...keys.object('event', 'evt_2'), object: event('x') }),
        record('REMOVE', { ...keys.object('event', 'evt_3') }),
      ],
    } as unknown as DynamoDBStreamEvent;
    expect(eventsIn(stream)).toEqual([invoicePaid]);
  });
});

describe('the fan-out handler', () => {
  it('puts every event on the bus with its mode, and hands each mode\'s events to that mode\'s webhooks only', async () => {
    const testEvent = event('customer.created');
    const liveEvent = newEvent({ type: 'customer.created', object: { livemode: true }, created: 1_780_000_000, nowMs: Date.now() });
    const published: StripeEvent[] = [];
    const enqueued: Record<string, string[]> = { test: [], live: [] };
    const handler = makeEventFanOutHandler({
      eventBus: { publish: async (events) => void published.push(...events) },
      of: (mode) => ({ webhooks: { enqueue: async (events) => void enqueued[mode]!.push(...events.map((e) => e.id)), enqueueResends: async () => undefined } }),
      nowMs: () => Date.now(),
      logger: { debug: () => undefined },
    });
    const stream = {
      Records: [
        record('INSERT', { ...keysFor('live').object('event', liveEvent.id), object: liveEvent }),
        record('INSERT', { ...keys.object('event', testEvent.id), object: testEvent }),
      ],
    } as unknown as DynamoDBStreamEvent;
    await handler(stream);
    expect(enqueued).toEqual({ test: [testEvent.id], live: [liveEvent.id] });
    expect(published.map((e) => [e.id, JSON.parse(busEntry('bus', e).Detail!).livemode])).toEqual([
      [liveEvent.id, true],
      [testEvent.id, false],
    ]);
  });
});

describe('webhook resends in a stream batch', () => {
  const resendOf = (ev: StripeEvent): WebhookResend => ({
    id: 'whrs_0123456789abcdef01234567',
    object: 'webhook_resend',
    created: 1_780_000_000,
    endpoint: 'we_1',
    event: ev.id,
    event_type: ev.type,
    livemode: ev.livemode,
  });

  it('are queued to their mode\'s webhooks as resends, never published to the bus as events', async () => {
    const customerCreated = event('customer.created');
    const resend = resendOf(customerCreated);
    const published: StripeEvent[] = [];
    const queued: Record<string, WebhookResend[]> = { test: [], live: [] };
    const handler = makeEventFanOutHandler({
      eventBus: { publish: async (events) => void published.push(...events) },
      of: (mode) => ({ webhooks: { enqueue: async () => undefined, enqueueResends: async (resends) => void queued[mode]!.push(...resends) } }),
      nowMs: () => Date.now(),
      logger: { debug: () => undefined },
    });
    const stream = {
      Records: [
        record('INSERT', { ...keys.eventResend(customerCreated.id, resend.id), object: resend }),
        // Overwritten or removed by TTL: no new resend.
        record('MODIFY', { ...keys.eventResend(customerCreated.id, resend.id), object: resend }),
        record('REMOVE', { ...keys.eventResend(customerCreated.id, resend.id) }),
      ],
    } as unknown as DynamoDBStreamEvent;
    expect(resendsIn(stream)).toEqual([resend]);
    expect(eventsIn(stream)).toEqual([]);
    await handler(stream);
    expect(queued).toEqual({ test: [resend], live: [] });
    expect(published).toEqual([]);
  });
});
