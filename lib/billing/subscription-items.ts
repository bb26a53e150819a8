import { InvalidRequestError } from '../errors';
import { newId } from '../domain/ids';
import { applyMetadata, type MetadataUpdate } from '../metadata';
import type { Price, Prices } from '../catalog/prices';
import type { SubscriptionItem } from './model';
import { isMetered, segmentOf } from '../catalog/prices';
import { dimensionValue } from '../domain/dimensions';

/** An item a request asks for, with the parameter path errors should name. */
export interface RequestedItem {
  price: Price;
  quantity: number | undefined;
  metadata: Record<string, string>;
  param: string;
}

/** A new item as a request names it. */
export interface NewItemCommand {
  price: string;
  quantity?: number;
  metadata?: MetadataUpdate;
}

/** The item `items[i]` (`at`) asks for, once its price is known to be one a subscription can take. */
export async function requestedItem(item: NewItemCommand, at: string, prices: Prices): Promise<RequestedItem> {
  const priceParam = `${at}[price]`;
  const price = await prices.retrieve(item.price, priceParam);
  const quantity = item.quantity;
  const metadata = applyMetadata({}, item.metadata);
  if (!price.active) throw new InvalidRequestError(`The price ${price.id} is not active.`, priceParam);
  if (!price.recurring) {
    throw new InvalidRequestError(`The price ${price.id} is a one-time price; subscriptions need recurring prices.`, priceParam);
  }
  if (isMetered(price) && quantity !== undefined) {
    throw new InvalidRequestError('Metered prices are billed by usage and take no quantity.', `${at}[quantity]`);
  }
  return { price, quantity, metadata, param: priceParam };
}

/**
 * One currency, one interval and no price twice per subscription: the items of a subscription
 * share its periods and its invoices.
 */
export function checkCompatible(items: readonly { price: Price; param: string }[]): void {
  const first = items[0];
  if (!first) return;
  const seen = new Set<string>();
  for (const { price, param } of items) {
    if (price.currency !== first.price.currency) {
      throw new InvalidRequestError(
        `All prices on a subscription must have the same currency: ${price.id} is in ${price.currency}, ${first.price.id} in ${first.price.currency}.`,
        param,
      );
    }
    const [a, b] = [price.recurring!, first.price.recurring!];
    if (a.interval !== b.interval || a.interval_count !== b.interval_count) {
      throw new InvalidRequestError(
        `All prices on a subscription must have the same recurring interval: ${price.id} bills every ${a.interval_count} ${a.interval}, ${first.price.id} every ${b.interval_count} ${b.interval}.`,
        param,
      );
    }
    if (seen.has(price.id)) throw new InvalidRequestError(`The price ${price.id} appears twice; use quantity instead.`, param);
    seen.add(price.id);
  }
  checkNoOverlap(items);
}

/**
 * Metered prices with meter_segment_conditions on the same meter bill disjoint usage: two of
 * them overlap unless some dimension has a condition in both with different values, and a price
 * without conditions overlaps every price with conditions on its meter. Usage billed by two
 * prices would be billed twice.
 */
function checkNoOverlap(items: readonly { price: Price; param: string }[]): void {
  const metered = items.filter(({ price }) => isMetered(price));
  metered.forEach(({ price, param }, i) => {
    const segment = segmentOf(price);
    for (const other of metered.slice(0, i)) {
      if (other.price.recurring!.meter !== price.recurring!.meter) continue;
      const otherSegment = segmentOf(other.price);
      // Two prices without conditions on one meter each bill all of it, as they always have.
      if (Object.keys(segment).length === 0 && Object.keys(otherSegment).length === 0) continue;
      const disjoint = Object.entries(segment).some(([dimension, value]) => {
        const other = dimensionValue(otherSegment, dimension);
        return other !== undefined && other !== value;
      });
      if (!disjoint) {
        throw new InvalidRequestError(
          `The prices ${other.price.id} and ${price.id} bill the same usage of meter ${price.recurring!.meter}: prices on one meter need meter_segment_conditions that tell their usage apart.`,
          param,
        );
      }
    }
  });
}

/** A new subscription item for a requested price, in the current period. */
export function newItem(requested: RequestedItem, subscriptionId: string, period: { start: number; end: number }, created: number, nowMs: number): SubscriptionItem {
  return {
    id: newId('subscriptionItem', nowMs),
    object: 'subscription_item',
    created,
    current_period_start: period.start,
    current_period_end: period.end,
    discounts: [],
    metadata: requested.metadata,
    price: requested.price,
    ...(isMetered(requested.price) ? {} : { quantity: requested.quantity ?? 1 }),
    subscription: subscriptionId,
    tax_rates: [],
  };
}
