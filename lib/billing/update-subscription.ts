import { InvalidRequestError, MissingParameterError, NotFoundError, UnknownParameterError } from '../errors';
import { period } from '../domain/periods';
import { applyMetadata, type MetadataUpdate } from '../metadata';
import { eventPut } from '../events/events';
import type { PRORATION, SubscriptionDeps } from './create-subscription';
import { isMetered } from '../catalog/prices';
import type { EndedItem, StoredSubscription, Subscription, SubscriptionItem } from './model';
import { checkCompatible, newItem, requestedItem } from './subscription-items';


/** Loads a subscription or fails with 404. */
export async function loadSubscription(deps: Pick<SubscriptionDeps, 'store'>, id: string, param = 'id'): Promise<StoredSubscription> {
  const stored = await deps.store.getSubscription(id);
  if (!stored) throw new NotFoundError('subscription', id, param);
  return stored;
}

/** One entry of `items` in POST /v1/subscriptions/:id: a new price (no id), a change of an item, or its removal (`deleted`). */
export interface SubscriptionItemChange {
  id?: string;
  deleted?: boolean;
  clear_usage?: boolean;
  price?: string;
  quantity?: number;
  metadata?: MetadataUpdate;
}

/** POST /v1/subscriptions/:id. */
export interface UpdateSubscriptionCommand {
  cancel_at_period_end?: boolean;
  description?: string | null;
  metadata?: MetadataUpdate;
  proration_behavior?: (typeof PRORATION)[number];
  items?: SubscriptionItemChange[];
}

/**
 * POST /v1/subscriptions/:id: metadata, description, cancel_at_period_end, and items (add a
 * price, change a licensed quantity, remove an item with `deleted`). Changes take effect from the
 * next invoice: quantities are not prorated; a removed metered item still bills the usage it had
 * until its removal when the period closes.
 */
export function makeUpdateSubscription(deps: SubscriptionDeps) {
  return async function updateSubscription(id: string, command: UpdateSubscriptionCommand, requestNow: number): Promise<Subscription> {
    const stored = await loadSubscription(deps, id);
    const current = stored.subscription;
    const now = await deps.clocks.timeOf(current.test_clock, requestNow);
    const cancelAtPeriodEnd = command.cancel_at_period_end;
    const description = command.description;
    const metadata = applyMetadata(current.metadata, command.metadata);
    const itemCommands = command.items ?? [];
    const currentPeriod = period(stored.billing.cycle, stored.billing.period);

    let items: SubscriptionItem[] = [...current.items.data];
    const ended: EndedItem[] = [...stored.billing.ended_items];
    // Errors about an added item name the request's parameter (items[i][price]), not its place on the subscription.
    const addedParams = new Map<SubscriptionItem, string>();
    for (const [i, item] of itemCommands.entries()) {
      const at = `items[${i}]`;
      const itemId = item.id;
      const deleted = item.deleted ?? false;
      if (itemId === undefined) {
        if (deleted) throw new InvalidRequestError('deleted needs the id of the item to remove.', `${at}[deleted]`);
        // A new item: a price, a quantity and metadata only.
        if (item.clear_usage !== undefined) throw new UnknownParameterError(`${at}[clear_usage]`);
        if (item.price === undefined) throw new MissingParameterError(`${at}[price]`);
        const requested = await requestedItem({ price: item.price, quantity: item.quantity, metadata: item.metadata }, at, deps.prices);
        const added = newItem(requested, id, currentPeriod, now, deps.nowMs());
        addedParams.set(added, requested.param);
        items.push(added);
        continue;
      }
      const existing = items.find((candidate) => candidate.id === itemId);
      if (!existing) throw new InvalidRequestError(`No such subscription item: '${itemId}'`, `${at}[id]`, 'resource_missing');
      if (deleted) {
        // A removal takes only `clear_usage` besides the id.
        const extra = (['price', 'quantity', 'metadata'] as const).find((name) => item[name] !== undefined);
        if (extra) throw new UnknownParameterError(`${at}[${extra}]`);
        items = items.filter((candidate) => candidate !== existing);
        if (isMetered(existing.price)) ended.push({ item: existing, ended_at: now });
        continue;
      }
      const quantity = item.quantity;
      const itemMetadata = applyMetadata(existing.metadata, item.metadata);
      if (item.price !== undefined) throw new InvalidRequestError('To change an item\'s price, delete the item and add the new price.', `${at}[price]`);
      if (item.clear_usage !== undefined) throw new UnknownParameterError(`${at}[clear_usage]`);
      if (quantity !== undefined && isMetered(existing.price)) {
        throw new InvalidRequestError('Metered prices are billed by usage and take no quantity.', `${at}[quantity]`);
      }
      items = items.map((candidate) =>
        candidate === existing ? { ...existing, metadata: itemMetadata, ...(quantity === undefined ? {} : { quantity }) } : candidate,
      );
    }
    if (current.status !== 'active') {
      throw new InvalidRequestError('A canceled subscription cannot be updated.', undefined, 'subscription_canceled');
    }
    if (items.length === 0) throw new InvalidRequestError('A subscription needs at least one item.', 'items');
    checkCompatible(items.map((item) => ({ price: item.price, param: addedParams.get(item) ?? 'items' })));

    const cancel = cancelAtPeriodEnd ?? current.cancel_at_period_end;
    const next: Subscription = {
      ...current,
      cancel_at_period_end: cancel,
      cancel_at: cancel ? currentPeriod.end : null,
      description: description === undefined ? current.description : description,
      metadata,
      items: { ...current.items, data: items, total_count: items.length },
    };
    const previous: Record<string, unknown> = {};
    for (const key of ['cancel_at_period_end', 'cancel_at', 'description', 'metadata', 'items'] as const) {
      if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) previous[key] = current[key];
    }
    const updated: StoredSubscription = { ...stored, subscription: next, billing: { ...stored.billing, ended_items: ended } };
    const saved = await deps.store.transact([
      deps.store.subscriptionPut(updated, stored.version),
      eventPut(deps.store.tableName, { type: 'customer.subscription.updated', object: next, previous, created: now, nowMs: deps.nowMs() }),
    ]);
    if (!saved) throw new InvalidRequestError('The subscription changed while it was being updated; retry.', undefined, 'lock_timeout');
    return next;
  };
}
