import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duePartitions, keys, LIVE_CLOCK, LIVE_DUE_SHARDS } from '../../lib/store/keys';

describe('due index keys', () => {
  it('puts every live subscription into one of the partitions the scheduler reads, always the same one', () => {
    const partitions = duePartitions(LIVE_CLOCK);
    expect(new Set(partitions).size).toBe(LIVE_DUE_SHARDS);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(2 ** 31), (id, dueAt) => {
        const entry = keys.due(LIVE_CLOCK, dueAt, `sub_${id}`);
        expect(partitions).toContain(entry.due_pk);
        expect(keys.due(LIVE_CLOCK, dueAt + 1, `sub_${id}`).due_pk).toBe(entry.due_pk);
      }),
    );
  });

  it('keeps a test clock\'s subscriptions in the one partition its advance reads', () => {
    expect(duePartitions('clock_1')).toEqual([keys.due('clock_1', 5, 'sub_x').due_pk]);
  });

  it('orders entries by due time, and bounds them by "due at or before"', () => {
    const early = keys.due('clock_1', 99, 'sub_z').due_sk;
    const late = keys.due('clock_1', 100, 'sub_a').due_sk;
    expect(early < late).toBe(true);
    expect(late <= keys.dueUntil(100) && early <= keys.dueUntil(100)).toBe(true);
    expect(keys.due('clock_1', 101, 'sub_a').due_sk > keys.dueUntil(100)).toBe(true);
  });
});
