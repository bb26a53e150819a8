import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueUntil, keysFor, MODES, WALL_CLOCK, WALL_DUE_SHARDS } from '../../lib/store/keys';

const keys = keysFor('test');

describe('due index keys', () => {
  it('puts every wall-clock subscription into one of the partitions the scheduler reads, always the same one', () => {
    const partitions = keys.duePartitions(WALL_CLOCK);
    expect(new Set(partitions).size).toBe(WALL_DUE_SHARDS);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(2 ** 31), (id, dueAt) => {
        const entry = keys.due(WALL_CLOCK, dueAt, `sub_${id}`);
        expect(partitions).toContain(entry.due_pk);
        expect(keys.due(WALL_CLOCK, dueAt + 1, `sub_${id}`).due_pk).toBe(entry.due_pk);
      }),
    );
  });

  it('keeps a test clock\'s subscriptions in the one partition its advance reads', () => {
    expect(keys.duePartitions('clock_1')).toEqual([keys.due('clock_1', 5, 'sub_x').due_pk]);
  });

  it('gives each mode due partitions of its own, so a scheduler run of one mode never reads the other', () => {
    const [test, live] = MODES.map((mode) => new Set(keysFor(mode).duePartitions(WALL_CLOCK)));
    expect([...test!].some((partition) => live!.has(partition))).toBe(false);
  });

  it('orders entries by due time, and bounds them by "due at or before"', () => {
    const early = keys.due('clock_1', 99, 'sub_z').due_sk;
    const late = keys.due('clock_1', 100, 'sub_a').due_sk;
    expect(early < late).toBe(true);
    expect(late <= dueUntil(100) && early <= dueUntil(100)).toBe(true);
    expect(keys.due('clock_1', 101, 'sub_a').due_sk > dueUntil(100)).toBe(true);
  });
});
