import { InvalidRequestError } from '../errors';
import type { CreatedRange, ListPage, ObjectStore, PageQuery } from '../store/objects';
import { typesMatching } from './event-types';
import type { StripeEvent } from './events';

/** GET /v1/events. */
export interface ListEventsCommand {
  page: PageQuery;
  /** A name, or a pattern with `*` such as `invoice.*`. */
  type?: string;
  /** Up to 20 names. */
  types?: string[];
  created?: CreatedRange;
}

/** GET /v1/events/:id. */
export function retrieveEvent(store: ObjectStore, id: string): Promise<StripeEvent> {
  return store.require<StripeEvent>('event', id);
}

/**
 * GET /v1/events: the changes recorded in the last 30 days, newest first, filtered by `type` or
 * `types` (not both; each expanded to the names it matches) and by a `created` range.
 */
export function listEvents(store: ObjectStore, command: ListEventsCommand): Promise<ListPage<StripeEvent>> {
  const { type, types, created } = command;
  if (type !== undefined && types !== undefined) {
    throw new InvalidRequestError('You may pass either type or types, but not both.', 'types');
  }
  const names = type !== undefined ? typesMatching(type) : types?.flatMap((t) => typesMatching(t));
  const filters = names && [...new Set(names)].map((value) => ({ name: 'type', value }));
  return store.listAcross<StripeEvent>('event', filters, { ...command.page, created });
}

/** GET /v2/core/events: Stripe's thin v2 events (Meterline's asynchronous validation reports). */
export interface ListV2EventsCommand {
  object_id?: string;
  limit?: number;
  /** The id of the last event of the previous page. */
  page?: string;
}

/** A page of v2 events, newest first, optionally about one object; `next_page_url` continues it from `url`. */
export async function listV2Events(store: ObjectStore, command: ListV2EventsCommand, url: string) {
  const { object_id: objectId, page } = command;
  const limit = command.limit ?? 20;
  const result = await store.list('v2_event', { limit, startingAfter: page, filter: objectId ? { name: 'object_id', value: objectId } : undefined });
  const last = result.data.at(-1) as { id: string } | undefined;
  const next = result.hasMore && last ? `${url}?${new URLSearchParams({ ...(objectId ? { object_id: objectId } : {}), limit: String(limit), page: last.id })}` : null;
  return { data: result.data, next_page_url: next, previous_page_url: null };
}

/** GET /v2/core/events/:id. */
export function retrieveV2Event(store: ObjectStore, id: string) {
  return store.require('v2_event', id, 'event');
}
