import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatQuantity, parseEventValue } from '../../lib/domain/quantity';
import { validateMeterEvent, type RawMeterEvent } from '../../lib/metering/meter-event';
import type { Meter } from '../../lib/meters/meters';

const NOW = 1_790_000_000;

function meter(overrides: Partial<Meter> = {}): Meter {
  return {
    id: 'mtr_1',
    object: 'billing.meter',
    created: NOW,
    updated: NOW,
    display_name: 'Tokens',
    event_name: 'tokens',
    event_time_window: null,
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    default_aggregation: { formula: 'sum' },
    value_settings: { event_payload_key: 'value' },
    status: 'active',
    status_transitions: { deactivated_at: null },
    livemode: false,
    ...overrides,
  };
}

function event(overrides: Partial<RawMeterEvent> = {}): RawMeterEvent {
  return { identifier: 'id-1', event_name: 'tokens', timestamp: NOW, payload: { stripe_customer_id: 'cus_1', value: '3' }, ...overrides };
}

const validate = (e: RawMeterEvent, m: Meter | undefined) =>
  validateMeterEvent(e, { meter: m, customerExists: (id) => id === 'cus_1', now: NOW });

describe('parseEventValue', () => {
  it('accepts decimals of up to 15 significant digits and keeps them exact', () => {
    expect(formatQuantity(parseEventValue('123456789.012345')!)).toBe('123456789.012345');
    expect(formatQuantity(parseEventValue('-0.000000000000001')!)).toBe('-0.000000000000001');
    expect(parseEventValue('1234567890.123456')).toBeUndefined();
  });

  it('rejects what is not a decimal', () => {
    for (const text of ['', 'abc', '1,5', 'NaN', 'Infinity', '0x10', '1e']) expect(parseEventValue(text)).toBeUndefined();
  });

  it('round-trips every integer and two-place decimal exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 99 }), (units, cents) => {
        const text = `${units}.${String(cents).padStart(2, '0')}`;
        const parsed = parseEventValue(text)!;
        expect(parsed.equals(text)).toBe(true);
      }),
    );
  });
});

describe('validateMeterEvent', () => {
  it('accepts a valid event and reads customer and value through the meter mapping', () => {
    const custom = meter({ customer_mapping: { event_payload_key: 'account', type: 'by_id' }, value_settings: { event_payload_key: 'tokens' } });
    const result = validate(event({ payload: { account: 'cus_1', tokens: '0.5' } }), custom);
    expect(result).toEqual({
      ok: true,
      event: { identifier: 'id-1', eventName: 'tokens', meterId: 'mtr_1', customerId: 'cus_1', formula: 'sum', timestamp: NOW, value: '0.5' },
    });
  });

  it('counts 1 per event for count meters whatever the value', () => {
    const result = validate(event({ payload: { stripe_customer_id: 'cus_1' } }), meter({ default_aggregation: { formula: 'count' } }));
    expect(result.ok && result.event.value).toBe('1');
  });

  it.each([
    ['no meter', event(), undefined, 'no_meter', 'event_name'],
    ['an inactive meter', event(), meter({ status: 'inactive' }), 'archived_meter', 'event_name'],
    ['no customer', event({ payload: { value: '1' } }), meter(), 'meter_event_no_customer_defined', 'payload[stripe_customer_id]'],
    ['an unknown customer', event({ payload: { stripe_customer_id: 'cus_2', value: '1' } }), meter(), 'meter_event_customer_not_found', 'payload[stripe_customer_id]'],
    ['no value', event({ payload: { stripe_customer_id: 'cus_1' } }), meter(), 'meter_event_value_not_found', 'payload[value]'],
    ['a bad value', event({ payload: { stripe_customer_id: 'cus_1', value: '1.2.3' } }), meter(), 'meter_event_invalid_value', 'payload[value]'],
    ['a timestamp 36 days old', event({ timestamp: NOW - 36 * 86_400 }), meter(), 'timestamp_too_far_in_past', 'timestamp'],
    ['a timestamp 6 minutes ahead', event({ timestamp: NOW + 360 }), meter(), 'timestamp_in_future', 'timestamp'],
    ['an unparseable timestamp', event({ timestamp: 'yesterday' }), meter(), 'timestamp_invalid', 'timestamp'],
    ['a 101-character identifier', event({ identifier: 'x'.repeat(101) }), meter(), 'meter_event_invalid_identifier', 'identifier'],
  ])('rejects %s', (_name, e, m, code, param) => {
    expect(validate(e, m)).toMatchObject({ ok: false, error: { code, param } });
  });

  it('still counts an accepted event whose meter was deactivated or customer deleted before it was consumed', () => {
    const accepted = (e: RawMeterEvent, m: Meter) => validateMeterEvent(e, { meter: m, customerExists: () => false, now: NOW, accepted: true });
    expect(accepted(event(), meter({ status: 'inactive' })).ok).toBe(true);
    expect(accepted(event({ payload: { stripe_customer_id: 'cus_gone', value: '1' } }), meter()).ok).toBe(true);
    expect(accepted(event({ payload: { stripe_customer_id: 'cus_1', value: 'x' } }), meter()).ok).toBe(false);
  });

  it('accepts timestamps exactly at the limits: 35 days back and 5 minutes ahead', () => {
    expect(validate(event({ timestamp: NOW - 35 * 86_400 }), meter()).ok).toBe(true);
    expect(validate(event({ timestamp: NOW + 300 }), meter()).ok).toBe(true);
    expect(validate(event({ timestamp: new Date((NOW + 300) * 1000).toISOString() }), meter()).ok).toBe(true);
  });
});

describe('parseQueueMessage', () => {
  it('reads the messages the ingest path writes', async () => {
    const { parseQueueMessage } = await import('../../lib/metering/meter-event');
    const message = { type: 'meter_events', received: NOW, livemode: false, events: [event()] };
    expect(parseQueueMessage(JSON.stringify(message))).toEqual(message);
    const cancel = { type: 'cancel', received: NOW, livemode: false, event_name: 'tokens', identifier: 'id-1' };
    expect(parseQueueMessage(JSON.stringify(cancel))).toEqual(cancel);
  });

  it.each([
    ['not JSON', '{oops'],
    ['an unknown type', JSON.stringify({ type: 'other', received: 1, livemode: false })],
    ['an event without payload', JSON.stringify({ type: 'meter_events', received: 1, livemode: false, events: [{ identifier: 'a', event_name: 'b', timestamp: 1 }] })],
    ['a payload with a number', JSON.stringify({ type: 'meter_events', received: 1, livemode: false, events: [{ ...event(), payload: { value: 1 } }] })],
  ])('treats %s as poison', async (_name, body) => {
    const { parseQueueMessage } = await import('../../lib/metering/meter-event');
    expect(parseQueueMessage(body)).toBeUndefined();
  });
});
