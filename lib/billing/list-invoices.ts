import type { TestClocks } from '../clocks/test-clocks';
import type { Customers } from '../customers/customers';
import { NotFoundError } from '../errors';
import type { InvoiceStatus } from '../domain/invoice-states';
import type { ListPage, ObjectStore, PageQuery } from '../store/objects';
import type { Invoice } from './model';

/** GET /v1/invoices. */
export interface ListInvoicesCommand {
  page: PageQuery;
  customer?: string;
  subscription?: string;
  status?: InvoiceStatus;
  /** Meterline's extension (a clock's page): the invoices its subscriptions produced. */
  test_clock?: string;
}

export interface ListInvoicesDeps {
  objects: ObjectStore;
  customers: Customers;
  clocks: TestClocks;
}

/**
 * GET /v1/invoices: newest first; a customer's (byOwner), a clock's (byClock) or a
 * subscription's (byFilter), the status checked on the invoices read. A customer or subscription
 * of the other mode (or none at all) is named, not listed as empty.
 */
export function makeListInvoices(deps: ListInvoicesDeps) {
  return async function listInvoices(command: ListInvoicesCommand): Promise<ListPage<Invoice>> {
    const { page, customer, subscription, status, test_clock: clock } = command;
    if (clock) await deps.clocks.retrieve(clock, 'test_clock');
    if (customer) await deps.customers.retrieveAny(customer).catch(() => Promise.reject(new NotFoundError('customer', customer, 'customer')));
    if (subscription && !(await deps.objects.get('subscription', subscription))) throw new NotFoundError('subscription', subscription, 'subscription');
    return deps.objects.list<Invoice>('invoice', {
      ...page,
      owner: customer,
      clock,
      filter: subscription ? { name: 'subscription', value: subscription } : undefined,
      match: status || (clock && customer) ? (invoice) => (!status || invoice.status === status) && (!clock || invoice.test_clock === clock) : undefined,
    });
  };
}
