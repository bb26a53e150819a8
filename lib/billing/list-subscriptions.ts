import type { TestClocks } from '../clocks/test-clocks';
import type { Customers } from '../customers/customers';
import { NotFoundError } from '../errors';
import type { ListPage, ObjectStore, PageQuery } from '../store/objects';
import type { Subscription } from './model';

export const SUBSCRIPTION_LIST_STATUSES = ['active', 'canceled', 'all', 'ended'] as const;

/** GET /v1/subscriptions. */
export interface ListSubscriptionsCommand {
  page: PageQuery;
  customer?: string;
  status?: (typeof SUBSCRIPTION_LIST_STATUSES)[number];
  price?: string;
  test_clock?: string;
}

export interface ListSubscriptionsDeps {
  objects: ObjectStore;
  customers: Customers;
  clocks: TestClocks;
}

/**
 * GET /v1/subscriptions: newest first, a customer's (byOwner) or a clock's (byClock). `ended`
 * subscriptions are the canceled ones; without a status, Stripe leaves them out; `all` lists both.
 */
export function makeListSubscriptions(deps: ListSubscriptionsDeps) {
  return async function listSubscriptions(command: ListSubscriptionsCommand): Promise<ListPage<Subscription>> {
    const { page, customer, price, test_clock: clock } = command;
    const status = command.status ?? 'default';
    if (customer) await deps.customers.retrieveAny(customer).catch(() => Promise.reject(new NotFoundError('customer', customer, 'customer')));
    if (clock) await deps.clocks.retrieve(clock, 'test_clock');
    const indexed = status === 'active' ? 'active' : status === 'canceled' || status === 'ended' ? 'canceled' : undefined;
    return deps.objects.list<Subscription>('subscription', {
      ...page,
      owner: customer,
      clock,
      filter: indexed ? { name: 'status', value: indexed } : undefined,
      match: (sub) =>
        (status !== 'default' || sub.status !== 'canceled') &&
        (!price || sub.items.data.some((item) => item.price.id === price)) &&
        (!clock || sub.test_clock === clock),
    });
  };
}
