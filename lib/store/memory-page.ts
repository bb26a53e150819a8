import type { ListPage, PageQuery } from './objects';

/**
 * One page of a short list held in memory (a few prices read by lookup key, an invoice's lines),
 * as Stripe pages: `items` in list order, `sideOfCursor(item)` negative for items before the
 * cursor, zero for the cursor, positive after it (only called when a cursor is given).
 */
export function pageInMemory<T>(items: readonly T[], query: PageQuery, sideOfCursor: (item: T) => number): ListPage<T> {
  const window = query.startingAfter !== undefined ? items.filter((item) => sideOfCursor(item) > 0) : query.endingBefore !== undefined ? items.filter((item) => sideOfCursor(item) < 0) : [...items];
  const data = query.endingBefore !== undefined ? window.slice(-query.limit) : window.slice(0, query.limit);
  return { data, hasMore: window.length > query.limit };
}
