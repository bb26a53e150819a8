import { changeEvent, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, MissingParameterError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { formatAmountDecimal, isCurrency, Money, parseAmountDecimal } from '../domain/money';
import { applyMetadata, type Metadata, type Params } from '../http/params';
import { readListQuery } from '../http/pagination';
import type { Meters } from '../meters/meters';
import { listPosition } from '../store/keys';
import { createdSeconds, objectItem, type ListPage, type ObjectStore } from '../store/objects';
import { activeFilter, buildProduct, Products, productItem, readNewProduct, type Product } from './products';

import { isValidIntervalCount, maxIntervalCount, type Interval } from '../domain/periods';

export type { Interval };
export type UsageType = 'licensed' | 'metered';
export type BillingScheme = 'per_unit' | 'tiered';
export type TiersMode = 'graduated' | 'volume';
export type TaxBehavior = 'exclusive' | 'inclusive' | 'unspecified';

export interface PriceRecurring {
  interval: Interval;
  interval_count: number;
  /** The meter whose usage a metered price bills; null for licensed prices. */
  meter: string | null;
  trial_period_days: number | null;
  usage_type: UsageType;
}

export interface PriceTier {
  flat_amount: number | null;
  /** Set whenever the tier has a flat amount (e.g. "500" for flat_amount 500). */
  flat_amount_decimal: string | null;
  unit_amount: number | null;
  /** Set whenever the tier has a unit amount. */
  unit_amount_decimal: string | null;
  /** Inclusive upper bound of the tier; null is Stripe's `inf` (always the last tier). */
  up_to: number | null;
}

export interface TransformQuantity {
  divide_by: number;
  round: 'up' | 'down';
}

/**
 * Stripe's Price, stored and returned as is. `tiers` is always present: the tiers of a tiered
 * price (Stripe shows them only with `expand[]=tiers`), null for per_unit prices.
 */
export interface Price {
  id: string;
  object: 'price';
  active: boolean;
  billing_scheme: BillingScheme;
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: boolean;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: PriceRecurring | null;
  tax_behavior: TaxBehavior;
  tiers: PriceTier[] | null;
  tiers_mode: TiersMode | null;
  transform_quantity: TransformQuantity | null;
  type: 'one_time' | 'recurring';
  /** The unit amount when it is a whole number of minor units, else null. Null for tiered prices. */
  unit_amount: number | null;
  /** Always set for per_unit prices ("1000" for unit_amount 1000); null for tiered prices. */
  unit_amount_decimal: string | null;
}

const intervals: readonly Interval[] = ['day', 'week', 'month', 'year'];
const LOOKUP_KEY = { maxLength: 200 };
const NICKNAME = { maxLength: 5000 };
/** 15 digits: the largest integers that read back from DynamoDB as exact JS numbers. */
const MAX_INTEGER = 999_999_999_999_999;
const MAX_LOOKUP_KEYS = 10;

/** The item that stores `price`: in the byFilter list of its `active` value and its product's byOwner list. */
function priceItem(price: Price) {
  return objectItem('price', price, activeFilter(price.active), price.product);
}

/** An amount in minor units: the integer, and the canonical decimal text. */
interface Amount {
  integer: number | null;
  decimal: string;
}

function amountOf(value: Money): Amount {
  return { integer: value.isInteger() ? value.toNumber() : null, decimal: formatAmountDecimal(value) };
}

/**
 * Reads `<name>` (an integer) or `<name>_decimal` (a decimal string with at most 12 places), not
 * both; undefined when neither is given.
 */
function readAmount(params: Params, name: string): Amount | undefined {
  const integer = params.optionalInteger(name, { min: 0, max: MAX_INTEGER });
  const text = params.optionalString(`${name}_decimal`);
  if (integer !== undefined && text !== undefined) {
    throw new InvalidRequestError(`You may only specify one of these parameters: ${name}, ${name}_decimal.`, params.path(`${name}_decimal`));
  }
  if (integer !== undefined) return amountOf(new Money(integer));
  if (text === undefined) return undefined;
  const value = parseAmountDecimal(text);
  if (!value || value.gt(MAX_INTEGER)) {
    throw new InvalidRequestError(
      `Invalid decimal: ${text}. It must be a non-negative number of minor units with at most 12 decimal places.`,
      params.path(`${name}_decimal`),
    );
  }
  return amountOf(value);
}

/** `up_to` is an integer or the string `inf`. */
function readUpTo(tier: Params): number | null {
  const inf = (() => {
    try {
      return tier.optionalString('up_to') === 'inf';
    } catch {
      return false; // a JSON number: read as an integer below
    }
  })();
  return inf ? null : tier.integer('up_to', { min: 1, max: MAX_INTEGER });
}

function readTiers(list: Params[]): PriceTier[] {
  const tiers = list.map((tier): PriceTier => {
    const upTo = readUpTo(tier);
    const unit = readAmount(tier, 'unit_amount');
    const flat = readAmount(tier, 'flat_amount');
    tier.done();
    if (!unit && !flat) {
      throw new InvalidRequestError('Each tier needs a unit_amount or a flat_amount.', tier.path('unit_amount'));
    }
    return {
      flat_amount: flat?.integer ?? null,
      flat_amount_decimal: flat?.decimal ?? null,
      unit_amount: unit?.integer ?? null,
      unit_amount_decimal: unit?.decimal ?? null,
      up_to: upTo,
    };
  });
  if (tiers.length === 0) throw new InvalidRequestError('A tiered price needs at least one tier.', 'tiers');
  tiers.forEach((tier, i) => {
    const param = `tiers[${i}][up_to]`;
    const last = i === tiers.length - 1;
    if (last && tier.up_to !== null) throw new InvalidRequestError(`The last tier must have up_to=inf.`, param);
    if (!last && tier.up_to === null) throw new InvalidRequestError(`Only the last tier can have up_to=inf.`, param);
    const previous = i > 0 ? tiers[i - 1]!.up_to : null;
    if (tier.up_to !== null && previous !== null && tier.up_to <= previous) {
      throw new InvalidRequestError(`Tiers must be in ascending order of up_to: ${tier.up_to} is not above ${previous}.`, param);
    }
  });
  return tiers;
}

function readRecurring(params: Params): { recurring: PriceRecurring; meter?: string } | undefined {
  const recurring = params.optionalObject('recurring');
  if (!recurring) return undefined;
  const interval = recurring.string('interval', { oneOf: intervals }) as Interval;
  const intervalCount = recurring.optionalInteger('interval_count', { min: 1 }) ?? 1;
  const usageType = (recurring.optionalString('usage_type', { oneOf: ['licensed', 'metered'] }) ?? 'licensed') as UsageType;
  const meter = recurring.optionalString('meter');
  const trialDays = recurring.optionalInteger('trial_period_days', { min: 0, max: 730 });
  recurring.done();
  if (!isValidIntervalCount(interval, intervalCount)) {
    throw new InvalidRequestError(
      `The maximum billing interval is 3 years (${maxIntervalCount[interval]} ${interval}s).`,
      'recurring[interval_count]',
    );
  }
  if (usageType === 'metered' && !meter) throw new MissingParameterError('recurring[meter]');
  if (usageType === 'licensed' && meter !== undefined) {
    throw new InvalidRequestError('Only metered prices (recurring[usage_type]=metered) can have a meter.', 'recurring[meter]');
  }
  return {
    recurring: { interval, interval_count: intervalCount, meter: meter ?? null, trial_period_days: trialDays ?? null, usage_type: usageType },
    meter,
  };
}

function readTransformQuantity(params: Params): TransformQuantity | undefined {
  const transform = params.optionalObject('transform_quantity');
  if (!transform) return undefined;
  const divideBy = transform.integer('divide_by', { min: 1, max: MAX_INTEGER });
  const round = transform.string('round', { oneOf: ['up', 'down'] }) as TransformQuantity['round'];
  transform.done();
  return { divide_by: divideBy, round };
}

type TransactItems = Parameters<ObjectStore['transact']>[0];

/** Condition: the stored price still has the lookup key `price` was read with. */
function unchangedLookupKey(price: Price) {
  const names = { '#object': 'object', '#lookup_key': 'lookup_key' };
  return price.lookup_key === null
    ? { ConditionExpression: 'attribute_type(#object.#lookup_key, :null)', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':null': 'NULL' } }
    : { ConditionExpression: '#object.#lookup_key = :key', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':key': price.lookup_key } };
}

/** Prices: how much a product costs, how often, and how usage turns into an amount. */
export class Prices {
  constructor(
    private readonly store: ObjectStore,
    private readonly meters: Meters,
    private readonly products: Products,
  ) {}

  async create(params: Params, now: number, livemode: boolean): Promise<Price> {
    const currencyText = params.string('currency');
    const productId = params.optionalString('product');
    const productDataParams = params.optionalObject('product_data');
    const productData = productDataParams && readNewProduct(productDataParams, { inline: true });
    productDataParams?.done();
    const unit = readAmount(params, 'unit_amount');
    const recurring = readRecurring(params);
    const billingScheme = (params.optionalString('billing_scheme', { oneOf: ['per_unit', 'tiered'] }) ?? 'per_unit') as BillingScheme;
    const tiersMode = params.optionalString('tiers_mode', { oneOf: ['graduated', 'volume'] }) as TiersMode | undefined;
    const tierList = params.optionalObjectList('tiers');
    const tiers = tierList && readTiers(tierList);
    const transform = readTransformQuantity(params);
    const nickname = params.nullableString('nickname', NICKNAME);
    const lookupKey = params.nullableString('lookup_key', LOOKUP_KEY);
    const transfer = params.optionalBoolean('transfer_lookup_key') ?? false;
    const active = params.optionalBoolean('active') ?? true;
    const metadata = applyMetadata({}, params.metadata());
    const taxBehavior = (params.optionalString('tax_behavior', { oneOf: ['exclusive', 'inclusive', 'unspecified'] }) ?? 'unspecified') as TaxBehavior;
    params.done();

    const currency = currencyText.toLowerCase();
    if (!isCurrency(currency)) throw new InvalidRequestError(`Invalid currency: ${currencyText}.`, 'currency');
    if (productId !== undefined && productData !== undefined) {
      throw new InvalidRequestError('You may only specify one of these parameters: product, product_data.', 'product_data');
    }
    if (!productId && !productData) throw new MissingParameterError('product');
    if (billingScheme === 'per_unit') {
      if (tiersMode !== undefined) throw new InvalidRequestError('tiers_mode is only allowed with billing_scheme=tiered.', 'tiers_mode');
      if (tiers !== undefined) throw new InvalidRequestError('tiers are only allowed with billing_scheme=tiered.', 'tiers');
      if (!unit) throw new MissingParameterError('unit_amount');
    } else {
      if (unit) {
        const param = params.has('unit_amount') ? 'unit_amount' : 'unit_amount_decimal';
        throw new InvalidRequestError(`${param} is not allowed with billing_scheme=tiered: the tiers hold the amounts.`, param);
      }
      if (!tiersMode) throw new MissingParameterError('tiers_mode');
      if (!tiers) throw new MissingParameterError('tiers');
      if (transform) throw new InvalidRequestError('transform_quantity cannot be combined with tiers.', 'transform_quantity');
    }

    if (recurring?.meter !== undefined) {
      const meter = await this.meters.retrieve(recurring.meter, 'recurring[meter]');
      if (meter.status !== 'active') {
        throw new InvalidRequestError(`Meter ${meter.id} is inactive: a price needs an active meter.`, 'recurring[meter]');
      }
    }
    // Stripe accepts prices for archived products (they just cannot be subscribed to).
    const product: Product = productData ? buildProduct(productData, now, livemode) : await this.products.retrieve(productId!, 'product');

    const price: Price = {
      id: newId('price', now * 1000),
      object: 'price',
      active,
      billing_scheme: billingScheme,
      created: now,
      currency,
      custom_unit_amount: null,
      livemode,
      lookup_key: lookupKey ?? null,
      metadata,
      nickname: nickname ?? null,
      product: product.id,
      recurring: recurring?.recurring ?? null,
      tax_behavior: taxBehavior,
      tiers: tiers ?? null,
      tiers_mode: tiersMode ?? null,
      transform_quantity: transform ?? null,
      type: recurring ? 'recurring' : 'one_time',
      unit_amount: unit?.integer ?? null,
      unit_amount_decimal: unit?.decimal ?? null,
    };
    const items: TransactItems = [
      { Put: { TableName: this.store.tableName, Item: priceItem(price), ConditionExpression: 'attribute_not_exists(pk)' } },
      changeEvent(this.store.tableName, 'price.created', price, now),
      productData
        ? { Put: { TableName: this.store.tableName, Item: productItem(product), ConditionExpression: 'attribute_not_exists(pk)' } }
        : // A deleted product keeps a record without list keys: the price needs a live one.
          { ConditionCheck: { TableName: this.store.tableName, Key: this.store.keys.object('product', product.id), ConditionExpression: 'attribute_exists(kind_pk)' } },
    ];
    // A product created inline records its own creation.
    if (productData) items.push(changeEvent(this.store.tableName, 'product.created', product, now));
    if (price.lookup_key !== null) items.push(...(await this.claimLookupKey(price.lookup_key, price.id, transfer)));
    if (!(await this.store.transact(items))) {
      await this.explainLostRace(price.lookup_key, transfer);
      throw new NotFoundError('product', product.id, 'product');
    }
    return price;
  }

  /** The price, or NotFoundError naming `param` (e.g. `items[0][price]`). */
  async retrieve(id: string, param = 'id'): Promise<Price> {
    const price = await this.store.get<Price>('price', id);
    if (!price) throw new NotFoundError('price', id, param);
    return price;
  }

  /** Updates what Stripe lets change on a price: active, nickname, lookup_key, metadata. */
  async update(id: string, params: Params, now: number): Promise<Price> {
    const active = params.optionalBoolean('active');
    const nickname = params.nullableString('nickname', NICKNAME);
    const lookupKey = params.nullableString('lookup_key', LOOKUP_KEY);
    const transfer = params.optionalBoolean('transfer_lookup_key') ?? false;
    const metadata = params.metadata();
    params.done();
    const current = await this.retrieve(id);
    const next: Price = {
      ...current,
      active: active ?? current.active,
      nickname: nickname === undefined ? current.nickname : nickname,
      lookup_key: lookupKey === undefined ? current.lookup_key : lookupKey,
      metadata: applyMetadata(current.metadata, metadata),
    };
    const items: TransactItems = [
      {
        Put: {
          TableName: this.store.tableName,
          Item: priceItem(next),
          // A concurrent transfer may have taken the lookup key away: never write it back.
          ...unchangedLookupKey(current),
        },
      },
      changeEvent(this.store.tableName, 'price.updated', next, now, previousAttributes(current, next)),
    ];
    if (next.lookup_key !== current.lookup_key) {
      if (current.lookup_key !== null) {
        items.push({
          Delete: {
            TableName: this.store.tableName,
            Key: this.store.keys.priceLookupKey(current.lookup_key),
            ConditionExpression: 'price_id = :self',
            ExpressionAttributeValues: { ':self': id },
          },
        });
      }
      if (next.lookup_key !== null) items.push(...(await this.claimLookupKey(next.lookup_key, id, transfer)));
    }
    if (!(await this.store.transact(items))) {
      await this.explainLostRace(next.lookup_key, transfer);
      throw new ConflictError('The price changed while it was being updated; retry.', 'lookup_key', 'lock_timeout');
    }
    return next;
  }

  /** A page of prices, newest first; by product (byOwner), by `active` (byFilter), or by lookup keys. */
  async list(params: Params): Promise<ListPage<Price>> {
    const query = readListQuery(params);
    // Stripe lists active prices unless asked for inactive ones (Prices.d.ts: "Returns a list of your active prices").
    const active = params.optionalBoolean('active') ?? true;
    const product = params.optionalString('product');
    const currency = params.optionalString('currency')?.toLowerCase();
    const type = params.optionalString('type', { oneOf: ['one_time', 'recurring'] });
    const recurringParams = params.optionalObject('recurring');
    const interval = recurringParams?.optionalString('interval', { oneOf: intervals });
    const usageType = recurringParams?.optionalString('usage_type', { oneOf: ['licensed', 'metered'] });
    const meter = recurringParams?.optionalString('meter');
    recurringParams?.done();
    const lookupKeys = params.optionalStringList('lookup_keys', MAX_LOOKUP_KEYS);
    params.done();
    if (currency !== undefined && !isCurrency(currency)) throw new InvalidRequestError(`Invalid currency: ${currency}.`, 'currency');

    const match = (price: Price) =>
      (product === undefined || price.product === product) &&
      price.active === active &&
      (currency === undefined || price.currency === currency) &&
      (type === undefined || price.type === type) &&
      (interval === undefined || price.recurring?.interval === interval) &&
      (usageType === undefined || price.recurring?.usage_type === usageType) &&
      (meter === undefined || price.recurring?.meter === meter);
    if (lookupKeys) return this.listByLookupKeys(lookupKeys, query, match);
    if (product !== undefined) return this.store.list<Price>('price', { ...query, owner: product, match });
    return this.store.list<Price>('price', { ...query, filter: activeFilter(active), match });
  }

  /** At most ten lookup keys: read directly (GetItem each, one BatchGetItem of prices), no list. */
  private async listByLookupKeys(
    lookupKeys: string[],
    query: ReturnType<typeof readListQuery>,
    match: (price: Price) => boolean,
  ): Promise<ListPage<Price>> {
    const claims = await this.store.getItems([...new Set(lookupKeys)].map((k) => this.store.keys.priceLookupKey(k)));
    const ids = claims.flatMap((claim) => (typeof claim?.price_id === 'string' ? [claim.price_id] : []));
    const position = (p: Price) => listPosition(createdSeconds(p), p.id);
    let prices = (await this.store.getMany<Price>('price', ids)).filter(match).sort((a, b) => (position(a) < position(b) ? 1 : -1));
    const cursorId = query.startingAfter ?? query.endingBefore;
    if (cursorId !== undefined) {
      const cursor = prices.find((p) => p.id === cursorId) ?? (await this.store.get<Price>('price', cursorId));
      if (!cursor) throw new NotFoundError('price', cursorId, query.startingAfter ? 'starting_after' : 'ending_before');
      const at = position(cursor);
      prices = query.startingAfter ? prices.filter((p) => position(p) < at) : prices.filter((p) => position(p) > at);
    }
    const page = query.endingBefore ? prices.slice(-query.limit) : prices.slice(0, query.limit);
    return { data: page, hasMore: prices.length > query.limit };
  }

  /**
   * The transaction items that give `lookupKey` to price `priceId`. The key must be free, unless
   * `transfer` moves it from the price that holds it (which loses it in the same transaction).
   */
  private async claimLookupKey(lookupKey: string, priceId: string, transfer: boolean): Promise<TransactItems> {
    const claim = { ...this.store.keys.priceLookupKey(lookupKey), price_id: priceId };
    const holder = await this.lookupKeyHolder(lookupKey);
    if (holder === undefined || holder === priceId) {
      return [{ Put: { TableName: this.store.tableName, Item: claim, ConditionExpression: 'attribute_not_exists(pk) OR price_id = :self', ExpressionAttributeValues: { ':self': priceId } } }];
    }
    if (!transfer) throw this.lookupKeyTaken(lookupKey, holder);
    return [
      {
        Put: {
          TableName: this.store.tableName,
          Item: claim,
          ConditionExpression: 'price_id = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        },
      },
      {
        // Only the key changes on the previous holder, so a concurrent update of it is kept.
        Update: {
          TableName: this.store.tableName,
          Key: this.store.keys.object('price', holder),
          UpdateExpression: 'SET #object.#lookup_key = :null',
          ConditionExpression: '#object.#lookup_key = :key',
          ExpressionAttributeNames: { '#object': 'object', '#lookup_key': 'lookup_key' },
          ExpressionAttributeValues: { ':null': null, ':key': lookupKey },
        },
      },
    ];
  }

  private async lookupKeyHolder(lookupKey: string): Promise<string | undefined> {
    const item = await this.store.getItem(this.store.keys.priceLookupKey(lookupKey), true);
    return typeof item?.price_id === 'string' ? item.price_id : undefined;
  }

  private lookupKeyTaken(lookupKey: string, holder: string) {
    return new ConflictError(
      `A price (\`${holder}\`) already uses the lookup key '${lookupKey}'. Pass transfer_lookup_key=true to move it.`,
      'lookup_key',
    );
  }

  /** After a failed transaction: a lookup key taken in the meantime is the likely cause. */
  private async explainLostRace(lookupKey: string | null, transfer: boolean): Promise<void> {
    if (lookupKey === null) return;
    const holder = await this.lookupKeyHolder(lookupKey);
    if (holder !== undefined && !transfer) throw this.lookupKeyTaken(lookupKey, holder);
    if (holder !== undefined) {
      throw new ConflictError(`The lookup key '${lookupKey}' moved while it was being transferred; retry.`, 'lookup_key', 'lock_timeout');
    }
  }
}

/** Whether a price bills metered usage (as opposed to a licensed quantity). */
export const isMetered = (price: Price) => price.recurring?.usage_type === 'metered';
