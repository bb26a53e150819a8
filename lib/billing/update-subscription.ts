import { InvalidRequestError, NotFoundError } from '../errors';
import { period } from '../domain/periods';
import { applyMetadata, type Params } from '../http/params';
import { eventPut } from '../events/events';
import type { SubscriptionDeps } from './create-subscription';
import { isMetered } from '../catalog/prices';
import type { EndedItem, StoredSubscription, Subscription, SubscriptionItem } from './model';
import { checkCompatible, newItem, readRequestedItem } from './subscription-items';

const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;

/** Loads a subscription or fails with 404. */
export async function loadSubscription(deps: Pick<SubscriptionDeps, 'store'>, id: string, param = 'id'): Promise<StoredSubscription> {
  const stored = await deps.store.getSubscription(id);
  if (!stored) throw new NotFoundError('subscription', id, param);
  return stored;
}

/**
 * POST /v1/subscriptions/:id: metadata, description, cancel_at_period_end, and items (add a
 * price, change a licensed quantity, remove an item with `deleted`). Changes take effect from the
 * next invoice: quantities are not prorated; a removed metered item still bills the usage it had
 * until its removal when the period closes.
 */
export function makeUpdateSubscription(deps: SubscriptionDeps) {
  return async function updateSubscription(id: string, params: Params, requestNow: number): Promise<Subscription> {
    const stored = await loadSubscription(deps, id);
    const current = stored.subscription;
    const now = await deps.clocks.timeOf(current.test_clock, requestNow);
    const cancelAtPeriodEnd = params.optionalBoolean('cancel_at_period_end');
    const description = params.nullableString('description', { maxLength: 500 });
    const metadata = applyMetadata(current.metadata, params.metadata());
    params.optionalString('proration_behavior', { oneOf: PRORATION });
    const itemParams = params.optionalObjectList('items') ?? [];
    const currentPeriod = period(stored.billing.cycle, stored.billing.period);

    let items: SubscriptionItem[] = [...current.items.data];
    const ended: EndedItem[] = [...stored.billing.ended_items];
    // Errors about an added item name the request's parameter (items[i][price]), not its place on the subscription.
    const addedParams = new Map<SubscriptionItem, string>();
    for (const item of itemParams) {
      const itemId = item.optionalString('id');
      const deleted = item.optionalBoolean('deleted') ?? false;
      if (itemId === undefined) {
        if (deleted) throw new InvalidRequestError('deleted needs the id of the item to remove.', item.path('deleted'));
        const requested = await readRequestedItem(item, deps.prices);
        item.done();
        const added = newItem(requested, id, currentPeriod, now, deps.nowMs());
        addedParams.set(added, requested.param);
        items.push(added);
        continue;
      }
      const existing = items.find((candidate) => candidate.id === itemId);
      if (!existing) throw new InvalidRequestError(`No such subscription item: '${itemId}'`, item.path('id'), 'resource_missing');
      if (deleted) {
        item.optionalBoolean('clear_usage');
        item.done();
        items = items.filter((candidate) => candidate !== existing);
        if (isMetered(existing.price)) ended.push({ item: existing, ended_at: now });
        continue;
      }
      const quantity = item.optionalInteger('quantity', { min: 0 });
      const itemMetadata = applyMetadata(existing.metadata, item.metadata());
      if (item.has('price')) throw new InvalidRequestError('To change an item\'s price, delete the item and add the new price.', item.path('price'));
      item.done();
      if (quantity !== undefined && isMetered(existing.price)) {
        throw new InvalidRequestError('Metered prices are billed by usage and take no quantity.', item.path('quantity'));
      }
      items = items.map((candidate) =>
        candidate === existing ? { ...existing, metadata: itemMetadata, ...(quantity === undefined ? {} : { quantity }) } : candidate,
      );
    }
    params.done();
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
