import { changeEvent, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors';
import { applyMetadata } from '../metadata';
import { checkDimensionKey, type Meters } from '../meters/meters';
import { objectItem, type ListPage, type ObjectStore } from '../store/objects';
import { listPrices } from './list-prices';
import { LookupKeys } from './lookup-keys';
import type { CreatePriceCommand, ListPricesCommand, Price, UpdatePriceCommand } from './price-model';
import { newPrice, priceTerms } from './price-rules';
import { activeFilter, buildProduct, newProductOf, Products, productItem, type Product } from './products';

export * from './price-model';

type TransactItems = Parameters<ObjectStore['transact']>[0];

/** The item that stores `price`: in the byFilter list of its `active` value and its product's byOwner list. */
function priceItem(price: Price) {
  return objectItem('price', price, activeFilter(price.active), price.product);
}

/** Condition: the stored price still has the lookup key `price` was read with. */
function unchangedLookupKey(price: Price) {
  const names = { '#object': 'object', '#lookup_key': 'lookup_key' };
  return price.lookup_key === null
    ? { ConditionExpression: 'attribute_type(#object.#lookup_key, :null)', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':null': 'NULL' } }
    : { ConditionExpression: '#object.#lookup_key = :key', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':key': price.lookup_key } };
}

/** Prices: how much a product costs, how often, and how usage turns into an amount. */
export class Prices {
  private readonly lookupKeys: LookupKeys;

  constructor(
    private readonly store: ObjectStore,
    private readonly meters: Meters,
    private readonly products: Products,
  ) {
    this.lookupKeys = new LookupKeys(store);
  }

  /** POST /v1/prices: the price, its inline product if any, and its lookup key, in one transaction. */
  async create(command: CreatePriceCommand, now: number, livemode: boolean): Promise<Price> {
    const terms = priceTerms(command);
    const meterId = terms.recurring?.meter;
    if (meterId) {
      const meter = await this.meters.retrieve(meterId, 'recurring[meter]');
      if (meter.status !== 'active') {
        throw new InvalidRequestError(`Meter ${meter.id} is inactive: a price needs an active meter.`, 'recurring[meter]');
      }
      terms.recurring!.meter_segment_conditions?.forEach(({ dimension }, i) =>
        checkDimensionKey(meter, dimension, `recurring[meter_segment_conditions][${i}][dimension]`),
      );
    }
    const productData = command.product_data && newProductOf(command.product_data);
    // Stripe accepts prices for archived products (they just cannot be subscribed to).
    const product: Product = productData ? buildProduct(productData, now, livemode) : await this.products.retrieve(command.product!, 'product');
    const price = newPrice(terms, product.id, now, livemode);
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
    const transfer = command.transfer_lookup_key ?? false;
    if (price.lookup_key !== null) items.push(...(await this.lookupKeys.claim(price.lookup_key, price.id, transfer)));
    if (!(await this.store.transact(items))) {
      await this.lookupKeys.explainLostRace(price.lookup_key, transfer);
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
  /** POST /v1/prices/:id: active, nickname, lookup_key (claimed or transferred) and metadata. */
  async update(id: string, command: UpdatePriceCommand, now: number): Promise<Price> {
    const { active, nickname, lookup_key: lookupKey, metadata } = command;
    const transfer = command.transfer_lookup_key ?? false;
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
      if (current.lookup_key !== null) items.push(this.lookupKeys.release(current.lookup_key, id));
      if (next.lookup_key !== null) items.push(...(await this.lookupKeys.claim(next.lookup_key, id, transfer)));
    }
    if (!(await this.store.transact(items))) {
      await this.lookupKeys.explainLostRace(next.lookup_key, transfer);
      throw new ConflictError('The price changed while it was being updated; retry.', 'lookup_key', 'lock_timeout');
    }
    return next;
  }

  /** GET /v1/prices (see listPrices). */
  list(command: ListPricesCommand): Promise<ListPage<Price>> {
    return listPrices(this.store, this.lookupKeys, command);
  }
}
