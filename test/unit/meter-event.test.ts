import { meterObject } from '../fixtures/meters';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventValueText } from '../../lib/domain/event-value';
import { Quantity } from '../../lib/domain/quantity';
import { validateMeterEvent, type RawMeterEvent } from '../../lib/metering/meter-event';
import type { Meter } from '../../lib/meters/meters';

const NOW = 1_790_000_000;

function meter(overrides: Partial<Meter> = {}): Meter {
  return meterObject({ created: NOW, updated: NOW, ...overrides });
}

function event(overrides: Partial<RawMeterEvent> = {}): RawMeterEvent {
  return { identifier: 'id-1', event_name: 'tokens', timestamp: NOW, payload: { stripe_customer_id: 'cus_1', value: '3' }, ...overrides };
}

const validate = (e: RawMeterEvent, m: Meter | undefined) =>
  validateMeterEvent(e, { meter: m, customerExists: (id) => id === 'cus_1', now: NOW });

/** The rule as decimal.js reads it: what eventValueText must agree with, digit for digit. */
function viaDecimal(raw: string): string | undefined {
  const text = raw.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  let value: Quantity;
  try {
    value = new Quantity(text);
  } catch {
    return undefined;
  }
  if (!value.isFinite()) return undefined;
  if (value.isZero()) return value.toFixed();
  return value.precision(true) <= 15 && value.decimalPlaces() <= 15 ? value.toFixed() : undefined;
}

/** Decimal text as clients write it: signs, leading and trailing zeros, a bare point, exponents. */
const arbDecimalText = fc
  .tuple(
    fc.constantFrom('', '+', '-'),
    fc.stringMatching(/^[0-9]{0,18}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,20}$/)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 40 }), fc.nat(3))),
  )
  .map(([sign, whole, fraction, exponent]) => {
    const mantissa = `${whole}${fraction === null ? '' : `.${fraction}`}`;
    return `${sign}${mantissa}${exponent ? `${exponent[0]}${exponent[1]}${'0'.repeat(exponent[3])}${exponent[2]}` : ''}`;
  });

describe('eventValueText', () => {
  it('accepts decimals of up to 15 significant digits and keeps them exact', () => {
    expect(eventValueText('123456789.012345')).toBe('123456789.012345');
    expect(eventValueText('-0.000000000000001')).toBe('-0.000000000000001');
    expect(eventValueText('1234567890.123456')).toBeUndefined();
  });

  it('writes values in canonical form: plain notation, no leading or trailing zeros, no sign on zero', () => {
    expect(eventValueText(' +0012.3400 ')).toBe('12.34');
    expect(eventValueText('1e3')).toBe('1000');
    expect(eventValueText('-.5E1')).toBe('-5');
    expect(eventValueText('5.')).toBe('5');
    expect(eventValueText('-0.0e7')).toBe('0');
    expect(eventValueText('1e14')).toBe('100000000000000');
    expect(eventValueText('1e15')).toBeUndefined(); // 16 significant digits, counting the integer's zeros
    expect(eventValueText('1.5e-15')).toBeUndefined(); // 16 decimal places
  });

  it('rejects what is not a decimal', () => {
    for (const text of ['', '.', 'abc', '1,5', 'NaN', 'Infinity', '0x10', '1e', '.e5', '--1', '1.2.3', '1_000']) expect(eventValueText(text)).toBeUndefined();
  });

  it('refuses exponents beyond any limit, however small the value', () => {
    expect(eventValueText('1e99999999999999999')).toBeUndefined();
    // decimal.js underflows this to 0; it has more than 15 decimal places, so it is refused.
    expect(eventValueText('1e-99999999999999999')).toBeUndefined();
    expect(eventValueText(`1e${'9'.repeat(400)}`)).toBeUndefined();
    expect(eventValueText('0e99999999999999999')).toBe('0');
  });

  it('agrees with decimal.js on every value: accepted or not, and the same text', () => {
    fc.assert(
      fc.property(arbDecimalText, (text) => {
        expect(eventValueText(text)).toBe(viaDecimal(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips every integer and two-place decimal exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 99 }), (units, cents) => {
        const text = `${units}.${String(cents).padStart(2, '0')}`;
        expect(new Quantity(eventValueText(text)!).equals(text)).toBe(true);
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
