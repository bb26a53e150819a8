import { changeEvent, previousAttributes } from '../events/events';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors';
import { newId } from '../domain/ids';
import { applyMetadata, type Metadata, type MetadataUpdate } from '../metadata';
import { objectItem, type ListFilter, type ListPage, type ObjectStore, type PageQuery } from '../store/objects';

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

/**
 * A new product as the API takes it: `POST /v1/products` takes id, name, active, description,
 * metadata, unit_label and url; a price's inline `product_data` takes only name, active, metadata
 * and unit_label.
 */
export interface NewProductCommand {
  id?: string;
  name: string;
  active?: boolean;
  metadata?: MetadataUpdate;
  unit_label?: string | null;
  description?: string | null;
  url?: string | null;
}

/** POST /v1/products/:id. */
export interface UpdateProductCommand {
  name?: string;
  active?: boolean;
  description?: string | null;
  unit_label?: string | null;
  url?: string | null;
  metadata?: MetadataUpdate;
}

/** GET /v1/products. */
export interface ListProductsCommand {
  page: PageQuery;
  active?: boolean;
}

/** The list of products, or of prices, with the same `active` value. */
export function activeFilter(active: boolean): ListFilter {
  return { name: 'active', value: String(active) };
}

/** The item that stores `product`, in the byKind list and the byFilter list of its `active` value. */
export function productItem(product: Product) {
  return objectItem('product', product, activeFilter(product.active));
}

/** The product a command describes (its metadata applied to none). */
export function newProductOf(command: NewProductCommand): NewProduct {
  return {
    ...(command.id ? { id: command.id } : {}),
    name: command.name,
    active: command.active,
    metadata: applyMetadata({}, command.metadata),
    unit_label: command.unit_label,
    ...('description' in command ? { description: command.description } : {}),
    ...('url' in command ? { url: command.url } : {}),
  };
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

  /** POST /v1/products. */
  async create(command: NewProductCommand, now: number, livemode: boolean): Promise<Product> {
    const product = buildProduct(newProductOf(command), now, livemode);
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

  /** POST /v1/products/:id. */
  async update(id: string, command: UpdateProductCommand, now: number): Promise<Product> {
    const { name, active, description, unit_label: unitLabel, url, metadata } = command;
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
  async delete(id: string, now: number): Promise<DeletedProduct> {
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
  list({ page, active }: ListProductsCommand): Promise<ListPage<Product>> {
    return this.store.list<Product>('product', {
      ...page,
      filter: active === undefined ? undefined : activeFilter(active),
    });
  }
}
