import type { Customer, DeletedCustomer } from '../customers/customers';
import type { Meter, Meters } from '../meters/meters';
import type { ObjectStore } from '../store/objects';

/**
 * Cached lookups for the hot path: meters by event name and which customers exist. A Lambda
 * container keeps answers for `ttlMs`, so a deactivated meter stops accepting events within
 * that time; customers are cached only once seen to exist.
 */
export class Directory {
  private readonly meters = new Map<string, { meter: Meter | undefined; until: number }>();
  private readonly customers = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly meterRepo: Meters,
    private readonly ttlMs = 5_000,
  ) {}

  async meterFor(eventName: string, nowMs: number): Promise<Meter | undefined> {
    const hit = this.meters.get(eventName);
    if (hit && hit.until > nowMs) return hit.meter;
    const meter = await this.meterRepo.findByEventName(eventName);
    this.meters.set(eventName, { meter, until: nowMs + this.ttlMs });
    return meter;
  }

  /** The subset of `ids` that are existing, not deleted customers. */
  async existingCustomers(ids: Iterable<string>, nowMs: number): Promise<Set<string>> {
    const known = new Set<string>();
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      if ((this.customers.get(id) ?? 0) > nowMs) known.add(id);
      else if (/^cus_[A-Za-z0-9]{1,64}$/.test(id)) unknown.push(id);
    }
    if (unknown.length) {
      const found = await this.store.getMany<Customer | DeletedCustomer>('customer', unknown);
      for (const customer of found) {
        if ('deleted' in customer) continue;
        known.add(customer.id);
        this.customers.set(customer.id, nowMs + 12 * this.ttlMs);
      }
    }
    return known;
  }
}
