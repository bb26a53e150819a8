import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hourChangesIn } from '../../lib/queue/usage-rollup-handler';
import { planRollup, sortableSequence } from '../../lib/metering/usage-rollup';
import { keysFor, type Mode } from '../../lib/store/keys';
import { DAY, HOUR } from '../../lib/domain/time';

const day = 1_780_000_000 - (1_780_000_000 % DAY);

function record(mode: Mode, meter: string, customer: string, hourStart: number, before: string | undefined, after: string | undefined, sequence: number): DynamoDBRecord {
  const key = keysFor(mode).usageHour(meter, customer, hourStart);
  const Keys = { pk: { S: key.pk }, sk: { S: key.sk } };
  return {
    eventName: before === undefined ? 'INSERT' : 'MODIFY',
    dynamodb: {
      Keys,
      SequenceNumber: String(sequence),
      NewImage: after === undefined ? { ...Keys, m00: { N: '1' } } : { ...Keys, h: { N: after } },
      ...(before === undefined ? {} : { OldImage: { ...Keys, h: { N: before } } }),
    },
  };
}

describe('hourChangesIn: one change per hourly usage item of a stream batch', () => {
  it('folds the changes of one item into its total before the first and after the last, with the last sequence number', () => {
    const changes = hourChangesIn({
      Records: [
        record('test', 'mtr_a', 'cus_1', day, undefined, '5', 101),
        record('test', 'mtr_a', 'cus_1', day, '5', '7.5', 102),
        record('live', 'mtr_a', 'cus_1', day, '1', '2', 103),
        record('test', 'mtr_a', 'cus_1', day, '7.5', '9', 104),
      ],
    });
    expect(changes.get('test')).toEqual([
      { meterId: 'mtr_a', customerId: 'cus_1', hourStart: day, before: undefined, after: '9', sequence: sortableSequence('104') },
    ]);
    expect(changes.get('live')).toEqual([{ meterId: 'mtr_a', customerId: 'cus_1', hourStart: day, before: '1', after: '2', sequence: sortableSequence('103') }]);
  });

  it('leaves out items without an hour total (`last` meters) and keys that are not hourly usage', () => {
    const claim = keysFor('test').eventClaim('ev_1');
    const other: DynamoDBRecord = { eventName: 'INSERT', dynamodb: { Keys: { pk: { S: claim.pk }, sk: { S: claim.sk } }, SequenceNumber: '1', NewImage: {} } };
    expect(hourChangesIn({ Records: [other, record('test', 'mtr_a', 'cus_1', day, undefined, undefined, 2)] }).size).toBe(0);
  });

  it('orders sequence numbers of any length as numbers', () => {
    expect(sortableSequence('99') < sortableSequence('100')).toBe(true);
    expect(sortableSequence('1'.repeat(40))).toHaveLength(40);
  });

  it('keeps the last total of every item, whatever the interleaving (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('cus_1', 'cus_2', 'cus_3'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 60 }), (writes) => {
        const last = new Map<string, number>();
        const records = writes.map(([customer, hour, value], i) => {
          const id = `${customer}#${hour}`;
          const before = last.get(id);
          last.set(id, value);
          return record('test', 'mtr_p', customer, day + hour * HOUR, before === undefined ? undefined : String(before), String(value), 1000 + i);
        });
        const changes = hourChangesIn({ Records: records }).get('test') ?? [];
        expect(new Map(changes.map((c) => [`${c.customerId}#${(c.hourStart - day) / HOUR}`, Number(c.after)]))).toEqual(last);
      }),
    );
  });
});

describe('planRollup: one transaction group per meter and UTC day', () => {
  it('groups customers by meter and day, with each hour of the day and the highest sequence number', () => {
    const changes = [
      { meterId: 'mtr_a', customerId: 'cus_1', hourStart: day + 2 * HOUR, before: '1', after: '3', sequence: sortableSequence('7') },
      { meterId: 'mtr_a', customerId: 'cus_1', hourStart: day + 5 * HOUR, before: undefined, after: '4', sequence: sortableSequence('9') },
      { meterId: 'mtr_a', customerId: 'cus_2', hourStart: day + 23 * HOUR, before: undefined, after: '1', sequence: sortableSequence('8') },
      { meterId: 'mtr_a', customerId: 'cus_1', hourStart: day + DAY, before: undefined, after: '2', sequence: sortableSequence('10') },
      { meterId: 'mtr_b', customerId: 'cus_1', hourStart: day, before: undefined, after: '6', sequence: sortableSequence('11') },
    ];
    const plan = planRollup(changes);
    expect(plan.map((g) => [g.meterId, g.dayStart, g.customers.map((c) => c.customerId)])).toEqual([
      ['mtr_a', day, ['cus_1', 'cus_2']],
      ['mtr_a', day + DAY, ['cus_1']],
      ['mtr_b', day, ['cus_1']],
    ]);
    const first = plan[0]!.customers[0]!;
    expect(first.sequence).toBe(sortableSequence('9'));
    expect([...first.hours]).toEqual([
      [2, { expected: '1', after: '3' }],
      [5, { expected: undefined, after: '4' }],
    ]);
  });
});
