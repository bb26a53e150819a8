import type { DeletedTestClock, TestClock } from '../clocks/test-clocks';
import { InvalidRequestError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { legacyInvoiceDetails } from '../domain/stripe-shapes';
import { applyMetadata, type Metadata, type MetadataUpdate } from '../metadata';
import { eventPut, previousAttributes } from '../events/events';
import type { ListFilter, ListPage, ObjectStore, PageQuery } from '../store/objects';
import {
  addressOf,
  checkInvoicePrefix,
  checkLocales,
  EMPTY_INVOICE_SETTINGS,
  invoiceSettingsOf,
  newInvoicePrefix,
  shippingOf,
  type Address,
  type AddressCommand,
  type InvoiceSettingsCommand,
  type ShippingCommand,
  type CustomerInvoiceSettings,
  type Shipping,
  type TaxExempt,
} from './invoice-details';

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
  address: Address | null;
  shipping: Shipping | null;
  preferred_locales: string[];
  invoice_settings: CustomerInvoiceSettings;
  /** Starts every invoice number of the customer (`<prefix>-0001`). */
  invoice_prefix: string;
  /** The sequence number the customer's next finalized invoice takes: finalization advances it. */
  next_invoice_sequence: number;
  tax_exempt: TaxExempt;
}

export interface DeletedCustomer {
  id: string;
  object: 'customer';
  created: number;
  deleted: true;
}

/** What both POST /v1/customers and POST /v1/customers/:id take. */
export interface CustomerFieldsCommand {
  email?: string | null;
  name?: string | null;
  description?: string | null;
  phone?: string | null;
  metadata?: MetadataUpdate;
  address?: AddressCommand | null;
  shipping?: ShippingCommand | null;
  preferred_locales?: string[];
  invoice_settings?: InvoiceSettingsCommand;
  invoice_prefix?: string;
  tax_exempt?: TaxExempt;
}

export interface CreateCustomerCommand extends CustomerFieldsCommand {
  test_clock?: string;
}

export interface UpdateCustomerCommand extends CustomerFieldsCommand {
  next_invoice_sequence?: number;
}

/** GET /v1/customers. */
export interface ListCustomersCommand {
  page: PageQuery;
  email?: string;
  test_clock?: string;
}

/** The list a customer with an email is in: GET /v1/customers?email= reads it (exact and case-sensitive, as in Stripe). */
function emailFilter(customer: Customer): ListFilter | undefined {
  return customer.email ? { name: 'email', value: customer.email } : undefined;
}

/** Attempts of an update that keeps losing races with invoice finalizations (which advance the sequence). */
const UPDATE_ATTEMPTS = 5;

/** `read` applied to a sent object; null when the caller cleared it, undefined when not sent. */
function nullableOf<C, T>(value: C | null | undefined, read: (command: C) => T): T | null | undefined {
  return value === null ? null : value === undefined ? undefined : read(value);
}

/**
 * A stored customer with every field a customer of this version has: customers written before
 * the invoice details existed read with Stripe's defaults (their prefix derived from their id).
 */
export function withStripeDefaults(customer: Customer): Customer {
  return customer.invoice_prefix !== undefined ? customer : { ...customer, ...legacyInvoiceDetails(customer.id) };
}

/** Customers: the accounts that usage and invoices belong to. */
export class Customers {
  constructor(private readonly store: ObjectStore) {}

  /** POST /v1/customers. */
  async create(command: CreateCustomerCommand, now: number, livemode: boolean): Promise<Customer> {
    const customer: Customer = {
      id: newId('customer', now * 1000),
      object: 'customer',
      created: now,
      email: command.email ?? null,
      name: command.name ?? null,
      description: command.description ?? null,
      phone: command.phone ?? null,
      metadata: applyMetadata({}, command.metadata),
      livemode,
      test_clock: command.test_clock ?? null,
      address: nullableOf(command.address, addressOf) ?? null,
      shipping: nullableOf(command.shipping, shippingOf) ?? null,
      preferred_locales: checkLocales(command.preferred_locales) ?? [],
      invoice_settings: nullableOf(command.invoice_settings, (settings) => invoiceSettingsOf(settings, EMPTY_INVOICE_SETTINGS)) ?? EMPTY_INVOICE_SETTINGS,
      invoice_prefix: checkInvoicePrefix(command.invoice_prefix) ?? newInvoicePrefix(),
      next_invoice_sequence: 1,
      tax_exempt: command.tax_exempt ?? 'none',
    };
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
    return withStripeDefaults(customer);
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

  /** POST /v1/customers/:id. */
  async update(id: string, command: UpdateCustomerCommand, now: number): Promise<Customer> {
    const read = await this.retrieve(id);
    const { email, name, description, phone, tax_exempt: taxExempt, metadata: metadataChange, next_invoice_sequence: sequence } = command;
    const address = nullableOf(command.address, addressOf);
    const shipping = nullableOf(command.shipping, shippingOf);
    const locales = checkLocales(command.preferred_locales);
    const prefix = checkInvoicePrefix(command.invoice_prefix);
    const settings = command.invoice_settings ? invoiceSettingsOf(command.invoice_settings, read.invoice_settings) : undefined;
    // Finalizing an invoice advances the customer's sequence in its own transaction: an update
    // is written on condition that the sequence it read is still current, and re-read otherwise.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = attempt === 0 ? read : await this.retrieve(id);
      if (sequence !== undefined && sequence < current.next_invoice_sequence) {
        throw new InvalidRequestError(`next_invoice_sequence must be at least ${current.next_invoice_sequence}, the next number not yet used.`, 'next_invoice_sequence');
      }
      const next: Customer = {
        ...current,
        email: email === undefined ? current.email : email,
        name: name === undefined ? current.name : name,
        description: description === undefined ? current.description : description,
        phone: phone === undefined ? current.phone : phone,
        address: address === undefined ? current.address : address,
        shipping: shipping === undefined ? current.shipping : shipping,
        preferred_locales: locales ?? current.preferred_locales,
        invoice_settings: settings ?? current.invoice_settings,
        invoice_prefix: prefix ?? current.invoice_prefix,
        next_invoice_sequence: sequence ?? current.next_invoice_sequence,
        tax_exempt: taxExempt ?? current.tax_exempt,
        metadata: applyMetadata(current.metadata, metadataChange),
      };
      const event = this.event('customer.updated', next, await this.timeOf(next, now), now, previousAttributes(current, next));
      const written = await this.store.replace('customer', next, emailFilter(next), next.test_clock ?? undefined, [event], {
        condition: 'attribute_not_exists(#o.#seq) OR #o.#seq = :seq',
        names: { '#o': 'object', '#seq': 'next_invoice_sequence' },
        values: { ':seq': current.next_invoice_sequence },
      });
      if (written) return next;
      await this.retrieve(id); // Deleted in the meantime: a 404.
    }
    throw new Error(`Customer ${id}: the update kept losing races with invoice finalizations.`);
  }

  /**
   * GET /v1/customers: newest first; by test clock (the clock's list, which must exist), where the
   * email becomes a check on the customers read, or by email (byFilter).
   */
  async list({ page, email, test_clock: clock }: ListCustomersCommand): Promise<ListPage<Customer>> {
    if (clock) await this.clock(clock);
    return this.store.list<Customer>('customer', { ...page, owner: clock, filter: email ? { name: 'email', value: email } : undefined });
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
