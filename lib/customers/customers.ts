import type { DeletedTestClock, TestClock } from '../billing/test-clocks';
import { NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { applyMetadata, type Metadata, type Params } from '../http/params';
import { eventPut, previousAttributes } from '../events/events';
import type { ListFilter, ObjectStore } from '../store/objects';

export interface Customer {
  id: string;
  object: 'customer';
  created: number;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Metadata;
  livemode: boolean;
  test_clock: string | null;
}

export interface DeletedCustomer {
  id: string;
  object: 'customer';
  created: number;
  deleted: true;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The list a customer with an email is in: GET /v1/customers?email= reads it (exact and case-sensitive, as in Stripe). */
function emailFilter(customer: Customer): ListFilter | undefined {
  return customer.email ? { name: 'email', value: customer.email } : undefined;
}

function readEmail(params: Params) {
  return params.nullableString('email', { maxLength: 512, pattern: EMAIL });
}

/** Customers: the accounts that usage and invoices belong to. */
export class Customers {
  constructor(private readonly store: ObjectStore) {}

  async create(params: Params, now: number, livemode: boolean): Promise<Customer> {
    const customer: Customer = {
      id: newId('customer', now * 1000),
      object: 'customer',
      created: now,
      email: readEmail(params) ?? null,
      name: params.nullableString('name', { maxLength: 256 }) ?? null,
      description: params.nullableString('description', { maxLength: 350 }) ?? null,
      phone: params.nullableString('phone', { maxLength: 20 }) ?? null,
      metadata: applyMetadata({}, params.metadata()),
      livemode,
      test_clock: params.optionalString('test_clock') ?? null,
    };
    params.done();
    // A customer on a test clock lives on its time from the start, as in Stripe.
    if (customer.test_clock) customer.created = (await this.clock(customer.test_clock)).frozen_time;
    // A customer on a test clock is also listed under its clock (as its owner): GET /v1/customers?test_clock= reads that list.
    await this.store.create('customer', customer, emailFilter(customer), customer.test_clock ?? undefined, [this.event('customer.created', customer, customer.created, now)]);
    return customer;
  }

  /** The clock a customer joins: it must exist and not have been deleted. */
  private async clock(id: string): Promise<TestClock> {
    const clock = await this.store.get<TestClock | DeletedTestClock>('test_clock', id);
    if (!clock || 'deleted' in clock) throw new NotFoundError('test_helpers.test_clock', id, 'test_clock');
    return clock;
  }

  /** The live customer, or NotFoundError (deleted customers are not found). */
  async retrieve(id: string, param = 'id'): Promise<Customer> {
    const customer = await this.store.get<Customer | DeletedCustomer>('customer', id);
    if (!customer || 'deleted' in customer) throw new NotFoundError('customer', id, param);
    return customer;
  }

  /** The customer or its deletion record, as Stripe's GET shows it. */
  async retrieveAny(id: string): Promise<Customer | DeletedCustomer> {
    const customer = await this.store.get<Customer | DeletedCustomer>('customer', id);
    if (!customer) throw new NotFoundError('customer', id);
    return customer;
  }

  /** The event that records a change to a customer, made at `at` (its clock's time) and `now` (wall clock). */
  private event(type: string, customer: Customer, at: number, now: number, previous?: Record<string, unknown>) {
    return eventPut(this.store.tableName, { type, object: customer, created: at, previous, nowMs: now * 1000 });
  }

  async update(id: string, params: Params, now: number): Promise<Customer> {
    const current = await this.retrieve(id);
    const email = readEmail(params);
    const name = params.nullableString('name', { maxLength: 256 });
    const description = params.nullableString('description', { maxLength: 350 });
    const phone = params.nullableString('phone', { maxLength: 20 });
    const metadata = applyMetadata(current.metadata, params.metadata());
    params.done();
    const next: Customer = {
      ...current,
      email: email === undefined ? current.email : email,
      name: name === undefined ? current.name : name,
      description: description === undefined ? current.description : description,
      phone: phone === undefined ? current.phone : phone,
      metadata,
    };
    const event = this.event('customer.updated', next, await this.timeOf(next, now), now, previousAttributes(current, next));
    if (!(await this.store.replace('customer', next, emailFilter(next), next.test_clock ?? undefined, [event]))) throw new NotFoundError('customer', id);
    return next;
  }

  /** Deletes the customer, leaving a deletion record that drops out of lists. */
  async delete(id: string, now: number): Promise<DeletedCustomer> {
    const current = await this.retrieve(id);
    const deleted: DeletedCustomer = { id, object: 'customer', created: current.created, deleted: true };
    // As in Stripe, customer.deleted carries the customer as it was.
    await this.store.tombstone('customer', deleted, [this.event('customer.deleted', current, await this.timeOf(current, now), now)]);
    return deleted;
  }

  /** "Now" for a customer: its test clock's frozen time, or `now`. */
  private async timeOf(customer: Customer, now: number): Promise<number> {
    if (!customer.test_clock) return now;
    const clock = await this.store.get<TestClock | DeletedTestClock>('test_clock', customer.test_clock);
    return clock && !('deleted' in clock) ? clock.frozen_time : now;
  }
}
