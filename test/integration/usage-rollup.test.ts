import { randomBytes } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/stack';
import { makeUsageRollupHandler } from '../../lib/queue/usage-rollup-handler';
import { keysFor } from '../../lib/store/keys';
import { DAY, HOUR } from '../../lib/domain/time';

/**
 * The usage rollup against DynamoDB Local, fed stream batches the way Lambda can hand them over:
 * twice, split in halves (bisected), stale halves after newer ones, several at once, and for
 * hour items that held usage before the rollup saw them. Every total must come out exact.
 */
describe('usage rollup: exactly once under redelivery, bisection and concurrency', () => {
  const { stack } = useStack();
  let rollup: ReturnType<typeof makeUsageRollupHandler>;
  const day = 1_780_000_000 - (1_780_000_000 % DAY);
  let sequence = 10n ** 20n;

  beforeAll(async () => {
    rollup = makeUsageRollupHandler(stack.services);
  });

  const keys = keysFor('test');
  const freshMeter = () => `mtr_rollup${randomBytes(4).toString('hex')}`;

  /** A stream record of an hourly usage item whose total went from `before` (undefined: new item) to `after`. */
  function change(meter: string, customer: string, hour: number, before: string | undefined, after: string): DynamoDBRecord {
    const key = keys.usageHour(meter, customer, day + hour * HOUR);
    const Keys = { pk: { S: key.pk }, sk: { S: key.sk } };
    sequence += 1n;
    return {
      eventName: before === undefined ? 'INSERT' : 'MODIFY',
      dynamodb: {
        Keys,
        SequenceNumber: String(sequence),
        NewImage: { ...Keys, h: { N: after } },
        ...(before === undefined ? {} : { OldImage: { ...Keys, h: { N: before } } }),
      },
    };
  }

  const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

  async function totals(meter: string) {
    const rollups = stack.services.test.rollups;
    const hours = await rollups.meterHours(meter, day, day + 23 * HOUR);
    const customers = await rollups.customerDays(meter, day, day);
    const meterDay = (await rollups.meterDays(day, day)).find((d) => d.meterId === meter);
    return {
      hours: Object.fromEntries(hours.map((h) => [(h.hourStart - day) / HOUR, h.value])),
      customers: Object.fromEntries(customers.map((c) => [c.customerId, Object.fromEntries(c.hours)])),
      day: meterDay?.value,
    };
  }

  it('applies a batch handed over twice, in halves, and stale halves after newer ones, once', async () => {
    const meter = freshMeter();
    const records = [
      change(meter, 'cus_a', 1, undefined, '10'),
      change(meter, 'cus_a', 1, '10', '12.5'),
      change(meter, 'cus_b', 1, undefined, '3'),
      change(meter, 'cus_a', 2, undefined, '1'),
      change(meter, 'cus_b', 1, '3', '4'),
      change(meter, 'cus_b', 5, undefined, '0.000000000000001'),
    ];
    await rollup(batch(...records));
    await rollup(batch(...records));
    await rollup(batch(...records.slice(3)));
    await rollup(batch(...records.slice(0, 3)));
    await rollup(batch(records[1]!));
    expect(await totals(meter)).toEqual({
      hours: { 1: '16.5', 2: '1', 5: '0.000000000000001' },
      customers: { cus_a: { 1: '12.5', 2: '1' }, cus_b: { 1: '4', 5: '0.000000000000001' } },
      day: '17.500000000000001',
    });

    // A later change (a cancellation taking usage back) moves every rollup by its difference.
    await rollup(batch(change(meter, 'cus_a', 1, '12.5', '2.5')));
    expect(await totals(meter)).toMatchObject({ hours: { 1: '6.5' }, day: '7.500000000000001' });
  });

  it('counts usage an hour held before the rollup saw it, and heals a mirror that missed a change', async () => {
    const meter = freshMeter();
    // The hour already held 50 when the rollup first sees it change to 60.
    await rollup(batch(change(meter, 'cus_old', 3, '50', '60')));
    expect(await totals(meter)).toEqual({ hours: { 3: '60' }, customers: { cus_old: { 3: '60' } }, day: '60' });

    // A change from 70 to 75 where the rollup holds 60 (the change to 70 never reached it): the hour becomes 75.
    await rollup(batch(change(meter, 'cus_old', 3, '70', '75')));
    expect(await totals(meter)).toEqual({ hours: { 3: '75' }, customers: { cus_old: { 3: '75' } }, day: '75' });
  });

  it('keeps a meter’s hour exact while many batches of its customers are rolled up at once', async () => {
    const meter = freshMeter();
    const customers = Array.from({ length: 24 }, (_, i) => `cus_${String(i).padStart(2, '0')}`);
    const batches = customers.map((customer, i) => batch(change(meter, customer, 7, undefined, String(i + 1)), change(meter, customer, 8, undefined, '1')));
    // Each batch twice, all at once: transactions on the same meter hour and day conflict and retry.
    await Promise.all([...batches, ...batches].map((b) => rollup(b)));
    const sum = (customers.length * (customers.length + 1)) / 2;
    const result = await totals(meter);
    expect(result.hours).toEqual({ 7: String(sum), 8: String(customers.length) });
    expect(result.day).toBe(String(sum + customers.length));
    expect(Object.keys(result.customers)).toHaveLength(customers.length);
  });

  it('leaves out what is not an hour total: claims, markers, `last` meters, its own rollups', async () => {
    const meter = freshMeter();
    const claim = keys.eventClaim('ev_1');
    const lastHour = keys.usageHour(meter, 'cus_last', day);
    const rollupItem = keys.meterHourTotal(meter, day);
    const record = (key: { pk: string; sk: string }, image: Record<string, { N: string } | { S: string }>): DynamoDBRecord => ({
      eventName: 'INSERT',
      dynamodb: { Keys: { pk: { S: key.pk }, sk: { S: key.sk } }, SequenceNumber: String((sequence += 1n)), NewImage: image },
    });
    await rollup(batch(record(claim, { value: { S: '5' } }), record(lastHour, { m00: { N: '5' } }), record(rollupItem, { v: { N: '5' } })));
    expect(await totals(meter)).toEqual({ hours: {}, customers: {}, day: undefined });
  });
});
