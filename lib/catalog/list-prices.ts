import { InvalidRequestError, NotFoundError } from '../errors';
import { isCurrency } from '../domain/money';
import { listPosition } from '../store/keys';
import { pageInMemory } from '../store/memory-page';
import { createdSeconds, type ListPage, type ObjectStore } from '../store/objects';
import type { LookupKeys } from './lookup-keys';
import type { ListPricesCommand, Price } from './price-model';
import { activeFilter } from './products';

/**
 * GET /v1/prices: a page of prices, newest first; by product (byOwner), by `active` (byFilter),
 * or by lookup keys (read directly). Stripe lists active prices unless asked for inactive ones.
 */
export async function listPrices(store: ObjectStore, lookupKeys: LookupKeys, command: ListPricesCommand): Promise<ListPage<Price>> {
  const { page: query, product, type } = command;
  const active = command.active ?? true;
  const currency = command.currency?.toLowerCase();
  const { interval, usage_type: usageType, meter } = command.recurring ?? {};
  if (currency !== undefined && !isCurrency(currency)) throw new InvalidRequestError(`Invalid currency: ${currency}.`, 'currency');
  const match = (price: Price) =>
    (product === undefined || price.product === product) &&
    price.active === active &&
    (currency === undefined || price.currency === currency) &&
    (type === undefined || price.type === type) &&
    (interval === undefined || price.recurring?.interval === interval) &&
    (usageType === undefined || price.recurring?.usage_type === usageType) &&
    (meter === undefined || price.recurring?.meter === meter);
  if (command.lookup_keys) return listByLookupKeys(store, await lookupKeys.holders(command.lookup_keys), query, match);
  if (product !== undefined) return store.list<Price>('price', { ...query, owner: product, match });
  return store.list<Price>('price', { ...query, filter: activeFilter(active), match });
}

/** At most ten prices, read directly (one BatchGetItem), paged in memory. */
async function listByLookupKeys(store: ObjectStore, ids: string[], query: ListPricesCommand['page'], match: (price: Price) => boolean): Promise<ListPage<Price>> {
  const position = (p: Price) => listPosition(createdSeconds(p), p.id);
  const prices = (await store.getMany<Price>('price', ids)).filter(match).sort((a, b) => (position(a) < position(b) ? 1 : -1));
  const cursorId = query.startingAfter ?? query.endingBefore;
  if (cursorId === undefined) return pageInMemory(prices, query, () => 0);
  const cursor = prices.find((p) => p.id === cursorId) ?? (await store.get<Price>('price', cursorId));
  if (!cursor) throw new NotFoundError('price', cursorId, query.startingAfter ? 'starting_after' : 'ending_before');
  const at = position(cursor);
  // Newest first: an item after the cursor has a lower position.
  return pageInMemory(prices, query, (p) => (position(p) < at ? 1 : position(p) > at ? -1 : 0));
}
