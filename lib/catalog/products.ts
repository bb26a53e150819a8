import { changeEvent, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { applyMetadata, type Metadata, type Params } from '../http/params';
import { readListQuery } from '../http/pagination';
import { objectItem, type ListFilter, type ListPage, type ObjectStore } from '../store/objects';

/** Stripe's Product: what a customer buys; prices say how much and how often. */
export interface Product {
  id: string;
  object: 'product';
  active: boolean;
  created: number;
  updated: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: boolean;
  marketing_features: { name: string }[];
  metadata: Metadata;
  name: string;
  package_dimensions: null;
  shippable: boolean | null;
  statement_descriptor: string | null;
  tax_code: string | null;
  tax_details: null;
  type: 'service';
  unit_label: string | null;
  url: string | null;
}

export interface DeletedProduct {
  id: string;
  object: 'product';
  created: number;
  deleted: true;
}

/** What `product_data` and `POST /v1/products` both accept. */
export interface NewProduct {
  id?: string;
  name: string;
  active?: boolean;
  description?: string | null;
  metadata?: Metadata;
  unit_label?: string | null;
  url?: string | null;
}

const NAME = { maxLength: 250 };
const DESCRIPTION = { maxLength: 40_000 };
const UNIT_LABEL = { maxLength: 12 };
const URL_RULE = { maxLength: 5000 };
/** Custom ids become part of a key and of URLs: keep them to URL-safe characters. */
const CUSTOM_ID = { maxLength: 255, pattern: /^[A-Za-z0-9_-]+$/ };

/** The list of products, or of prices, with the same `active` value. */
export function activeFilter(active: boolean): ListFilter {
  return { name: 'active', value: String(active) };
}

/** The item that stores `product`, in the byKind list and the byFilter list of its `active` value. */
export function productItem(product: Product) {
  return objectItem('product', product, activeFilter(product.active));
}

/**
 * Reads a new product: `POST /v1/products` takes id, name, active, description, metadata,
 * unit_label and url; a price's inline `product_data` takes only name, active, metadata and unit_label.
 */
export function readNewProduct(params: Params, options: { inline: boolean }): NewProduct {
  const id = options.inline ? undefined : params.optionalString('id', CUSTOM_ID);
  const product: NewProduct = {
    ...(id ? { id } : {}),
    name: params.string('name', NAME),
    active: params.optionalBoolean('active'),
    metadata: applyMetadata({}, params.metadata()),
    unit_label: params.nullableString('unit_label', UNIT_LABEL),
  };
  if (!options.inline) {
    product.description = params.nullableString('description', DESCRIPTION);
    product.url = params.nullableString('url', URL_RULE);
  }
  return product;
}

/** A Product object with Stripe's defaults for everything `input` leaves out. */
export function buildProduct(input: NewProduct, now: number, livemode: boolean): Product {
  return {
    id: input.id ?? newId('product', now * 1000),
    object: 'product',
    active: input.active ?? true,
    created: now,
    updated: now,
    default_price: null,
    description: input.description ?? null,
    images: [],
    livemode,
    marketing_features: [],
    metadata: input.metadata ?? {},
    name: input.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: input.unit_label ?? null,
    url: input.url ?? null,
  };
}

/** Products: the things prices are attached to. */
export class Products {
  constructor(private readonly store: ObjectStore) {}

  async create(params: Params, now: number, livemode: boolean): Promise<Product> {
    const input = readNewProduct(params, { inline: false });
    params.done();
    const product = buildProduct(input, now, livemode);
    const event = changeEvent(this.store.tableName, 'product.created', product, now);
    if (!(await this.store.create('product', product, activeFilter(product.active), undefined, [event]))) {
      throw new ConflictError(`Product already exists.`, 'id');
    }
    return product;
  }

  /** The live product, or NotFoundError naming `param` (deleted products are not found). */
  async retrieve(id: string, param = 'id'): Promise<Product> {
    const product = await this.store.get<Product | DeletedProduct>('product', id);
    if (!product || 'deleted' in product) throw new NotFoundError('product', id, param);
    return product;
  }

  async update(id: string, params: Params, now: number): Promise<Product> {
    const name = params.optionalString('name', NAME);
    const active = params.optionalBoolean('active');
    const description = params.nullableString('description', DESCRIPTION);
    const unitLabel = params.nullableString('unit_label', UNIT_LABEL);
    const url = params.nullableString('url', URL_RULE);
    const metadata = params.metadata();
    params.done();
    if (name === '') throw new InvalidRequestError('name cannot be empty.', 'name');
    const current = await this.retrieve(id);
    const next: Product = {
      ...current,
      name: name ?? current.name,
      active: active ?? current.active,
      description: description === undefined ? current.description : description,
      unit_label: unitLabel === undefined ? current.unit_label : unitLabel,
      url: url === undefined ? current.url : url,
      metadata: applyMetadata(current.metadata, metadata),
      updated: now,
    };
    const event = changeEvent(this.store.tableName, 'product.updated', next, now, previousAttributes(current, next));
    if (!(await this.store.replace('product', next, activeFilter(next.active), undefined, [event]))) throw new NotFoundError('product', id);
    return next;
  }

  /**
   * Deletes a product that has no prices (Stripe refuses otherwise; archive it with
   * `active=false` instead). The deletion record drops out of lists.
   */
  async delete(id: string, params: Params, now: number): Promise<DeletedProduct> {
    params.done();
    const current = await this.retrieve(id);
    // Any price, active or not, is in the product's byOwner list: one item read answers it.
    const prices = await this.store.list('price', { owner: id, limit: 1 });
    if (prices.data.length > 0) {
      throw new InvalidRequestError('This product cannot be deleted because it has one or more user-created prices.', undefined, 'product_has_prices');
    }
    const deleted: DeletedProduct = { id, object: 'product', created: current.created, deleted: true };
    await this.store.tombstone('product', deleted, [changeEvent(this.store.tableName, 'product.deleted', current, now)]);
    return { ...deleted };
  }

  /** A page of products, newest first, optionally only active or inactive ones (byFilter). */
  async list(params: Params): Promise<ListPage<Product>> {
    const query = readListQuery(params);
    const active = params.optionalBoolean('active');
    params.done();
    return this.store.list<Product>('product', {
      ...query,
      filter: active === undefined ? undefined : activeFilter(active),
    });
  }
}
