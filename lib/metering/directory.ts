import type { DeletedTestClock, TestClock } from '../clocks/test-clocks';
import type { Customer, DeletedCustomer } from '../customers/customers';
import type { Meter, Meters } from '../meters/meters';
import type { ObjectStore } from '../store/objects';

/** How long a container trusts a meter it read: a deactivated meter refuses events within this. */
export const DIRECTORY_TTL_MS = 2_000;
/** How long a container trusts that a customer exists (a deleted one is refused within this; found ones only are cached). */
export const CUSTOMER_TTL_MS = 60_000;

/**
 * Cached lookups for the hot path: meters by event name and which customers exist. A Lambda
 * container keeps answers for `ttlMs`, so a deactivated meter stops accepting events within
 * that time; customers are cached only once seen to exist.
 */
export class Directory {
  private readonly meters = new Map<string, { meter: Meter | undefined; until: number }>();
  private readonly customers = new Map<string, { clock: string | null; until: number }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly meterRepo: Meters,
    private readonly ttlMs = DIRECTORY_TTL_MS,
  ) {}

  async meterFor(eventName: string, nowMs: number): Promise<Meter | undefined> {
    const hit = this.meters.get(eventName);
    if (hit && hit.until > nowMs) return hit.meter;
    const meter = await this.meterRepo.findByEventName(eventName);
    this.meters.set(eventName, { meter, until: nowMs + this.ttlMs });
    return meter;
  }

  /** The existing, not deleted customers among `ids`, each with its test clock (null for live customers). */
  async existingCustomers(ids: Iterable<string>, nowMs: number): Promise<Map<string, string | null>> {
    const known = new Map<string, string | null>();
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.customers.get(id);
      if (hit && hit.until > nowMs) known.set(id, hit.clock);
      else if (/^cus_[A-Za-z0-9]{1,64}$/.test(id)) unknown.push(id);
    }
    if (unknown.length) {
      const found = await this.store.getMany<Customer | DeletedCustomer>('customer', unknown);
      for (const customer of found) {
        if ('deleted' in customer) continue;
        known.set(customer.id, customer.test_clock);
        this.customers.set(customer.id, { clock: customer.test_clock, until: nowMs + CUSTOMER_TTL_MS });
      }
    }
    return known;
  }

  /**
   * "Now" of each customer on a test clock: the clock's frozen time. Clocks are read every time
   * (never cached), since advancing one moves it by days at once.
   */
  async clockTimes(customers: ReadonlyMap<string, string | null>): Promise<Map<string, number>> {
    const clockIds = [...new Set([...customers.values()].filter((clock): clock is string => clock !== null))];
    const times = new Map<string, number>();
    if (!clockIds.length) return times;
    const clocks = await this.store.getMany<TestClock | DeletedTestClock>('test_clock', clockIds);
    const frozen = new Map(clocks.map((clock) => [clock.id, 'frozen_time' in clock ? clock.frozen_time : undefined]));
    for (const [customer, clock] of customers) {
      const time = clock ? frozen.get(clock) : undefined;
      if (time !== undefined) times.set(customer, time);
    }
    return times;
  }
}
