import { eventPut } from '../events/events';
import { automatically } from '../events/request-context';
import { InvalidRequestError, NotFoundError } from '../errors';
import { forEachLimited } from '../domain/concurrency';
import { newId } from '../domain/ids';
import { DAY } from '../domain/time';
import { objectItem, type ListPage, type ObjectStore, type PageQuery } from '../store/objects';
import { apiFunction } from '../store/resources';

export interface TestClock {
  id: string;
  object: 'test_helpers.test_clock';
  created: number;
  deletes_after: number;
  frozen_time: number;
  livemode: boolean;
  name: string | null;
  status: 'ready' | 'advancing' | 'internal_failure';
  status_details: { advancing?: { target_frozen_time: number } };
}

export interface DeletedTestClock {
  id: string;
  object: 'test_helpers.test_clock';
  created: number;
  deleted: true;
}

/** POST /v1/test_helpers/test_clocks. */
export interface CreateTestClockCommand {
  frozen_time: number;
  name?: string;
}

/** POST /v1/test_helpers/test_clocks/:id/advance. */
export interface AdvanceTestClockCommand {
  frozen_time: number;
}

/** Stripe deletes a test clock 30 days after its creation. */
const LIFETIME_SECONDS = 30 * DAY;
/** Subscriptions of one clock advanced at once. */
const ADVANCE_CONCURRENCY = 4;
/**
 * An advance runs inside one API request; a request cut off by its timeout leaves the clock
 * `advancing`. After this long such a clock may be advanced again, which resumes the work
 * (every billing step is idempotent).
 */
const STALE_ADVANCE_MS = (apiFunction.timeoutSeconds + 30) * 1000;

/** Where the work due on a clock is found (the billing cycle's due index): ids a page at a time. */
export interface DueWork {
  dueWork(until: number, clock: string): AsyncGenerator<string[]>;
}

export interface TestClockDeps {
  objects: ObjectStore;
  billing: DueWork;
  advanceDue(id: string, now: number): Promise<void>;
  /** Wall clock (ms): tells a live advance from one cut off by a timeout. */
  nowMs: () => number;
}

/**
 * Test clocks: customers created on a clock live on its frozen time. Advancing a clock runs the
 * billing cycle of the clock's subscriptions through every boundary crossed, in time order, with
 * the same worker code the schedule runs, then reports `ready`.
 */
export class TestClocks {
  constructor(private readonly deps: TestClockDeps) {}

  async create(command: CreateTestClockCommand, now: number, livemode: boolean): Promise<TestClock> {
    const frozenTime = command.frozen_time;
    const name = command.name ?? null;
    const clock: TestClock = {
      id: newId('testClock', now * 1000),
      object: 'test_helpers.test_clock',
      created: now,
      deletes_after: now + LIFETIME_SECONDS,
      frozen_time: frozenTime,
      livemode,
      name,
      status: 'ready',
      status_details: {},
    };
    await this.deps.objects.create('test_clock', clock, undefined, undefined, [this.event('test_helpers.test_clock.created', clock)]);
    return clock;
  }

  /** The live clock, or NotFoundError naming `param`. */
  async retrieve(id: string, param = 'id'): Promise<TestClock> {
    const clock = await this.deps.objects.get<TestClock | DeletedTestClock>('test_clock', id);
    if (!clock || 'deleted' in clock) throw new NotFoundError('test_helpers.test_clock', id, param);
    return clock;
  }

  /** "Now" for an object on `clockId` (its frozen time), or `now` for live objects. */
  async timeOf(clockId: string | null, now: number): Promise<number> {
    return clockId ? (await this.retrieve(clockId, 'test_clock')).frozen_time : now;
  }

  /** GET /v1/test_helpers/test_clocks: newest first, deleted clocks left out. */
  list(page: PageQuery): Promise<ListPage<TestClock>> {
    return this.deps.objects.list<TestClock>('test_clock', { ...page, match: (clock) => !('deleted' in clock) });
  }

  async delete(id: string): Promise<DeletedTestClock> {
    const clock = await this.retrieve(id);
    const deleted: DeletedTestClock = { id, object: 'test_helpers.test_clock', created: clock.created, deleted: true };
    await this.deps.objects.tombstone('test_clock', deleted, [this.event('test_helpers.test_clock.deleted', clock)]);
    return deleted;
  }

  async advance(id: string, { frozen_time: target }: AdvanceTestClockCommand): Promise<TestClock> {
    const item = await this.deps.objects.getItem(this.deps.objects.keys.object('test_clock', id), true);
    const clock = item?.object as TestClock | DeletedTestClock | undefined;
    if (!clock || 'deleted' in clock) throw new NotFoundError('test_helpers.test_clock', id);
    const since = typeof item?.advancing_since === 'number' ? item.advancing_since : 0;
    const nowMs = this.deps.nowMs();
    if (clock.status === 'advancing' && nowMs - since < STALE_ADVANCE_MS) {
      throw new InvalidRequestError('The test clock is already advancing; wait until it is ready.', undefined, 'test_clock_advancing');
    }
    // A clock whose last advance failed or was cut off may be advanced to the same time again.
    const resuming = clock.status !== 'ready';
    if (target < clock.frozen_time || (target === clock.frozen_time && !resuming)) {
      throw new InvalidRequestError('frozen_time must be later than the clock\'s current frozen_time.', 'frozen_time');
    }
    const advancing: TestClock = { ...clock, frozen_time: target, status: 'advancing', status_details: { advancing: { target_frozen_time: target } } };
    await this.save(advancing, { status: clock.status, since }, nowMs);
    const mine = { status: 'advancing' as const, since: nowMs };
    try {
      // What the clock's time brings about is automatic: its events name no request, as in Stripe.
      await automatically(async () => {
        for await (const ids of this.deps.billing.dueWork(target, id)) {
          await forEachLimited(ids, ADVANCE_CONCURRENCY, (due) => this.deps.advanceDue(due, target));
        }
      });
    } catch (error) {
      await this.save({ ...advancing, status: 'internal_failure' }, mine);
      throw error;
    }
    const ready: TestClock = { ...advancing, status: 'ready', status_details: {} };
    await this.save(ready, mine);
    return ready;
  }

  /**
   * Replaces the clock if it is still as it was read (same status, same advance): of two
   * advances at once, one wins. `advancingSince` stamps the start of a new advance.
   */
  private async save(clock: TestClock, expected: { status: TestClock['status']; since: number }, advancingSince?: number): Promise<void> {
    const type = { advancing: 'test_helpers.test_clock.advancing', ready: 'test_helpers.test_clock.ready', internal_failure: 'test_helpers.test_clock.internal_failure' }[clock.status];
    const saved = await this.deps.objects.transact([
      this.event(type, clock),
      {
        Put: {
          TableName: this.deps.objects.tableName,
          Item: { ...objectItem('test_clock', clock), ...(advancingSince === undefined ? {} : { advancing_since: advancingSince }) },
          ConditionExpression: '#o.#s = :s AND (attribute_not_exists(advancing_since) OR advancing_since = :since)',
          ExpressionAttributeNames: { '#o': 'object', '#s': 'status' },
          ExpressionAttributeValues: { ':s': expected.status, ':since': expected.since },
        },
      },
    ]);
    if (!saved) throw new InvalidRequestError('The test clock changed while advancing; retry.', undefined, 'test_clock_advancing');
  }

  /** The event that records a clock's change (at the wall clock's time: the clock itself is not on a clock). */
  private event(type: string, clock: TestClock) {
    const nowMs = this.deps.nowMs();
    return eventPut(this.deps.objects.tableName, { type, object: clock, created: Math.floor(nowMs / 1000), nowMs });
  }
}
