import { route, type Route } from '../http/router';
import { noParams } from '../http/schema';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';
import * as schemas from './schemas/catalog';

/** The product catalog: /v1/products and /v1/prices. */
export function catalogRoutes(s: ModeServices): Route[] {
  const { products, prices } = s;
  return [
    route('POST', '/v1/products', schemas.createProduct, (command, c) => products.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/products/:id', noParams, (_, c) => products.retrieve(c.path.id!)),
    route('POST', '/v1/products/:id', schemas.updateProduct, (command, c) => products.update(c.path.id!, command, c.now)),
    route('DELETE', '/v1/products/:id', noParams, (_, c) => products.delete(c.path.id!, c.now)),
    route('GET', '/v1/products', schemas.listProducts, async (command, c) => listResponse(c.url, await products.list(command))),

    route('POST', '/v1/prices', schemas.createPrice, (command, c) => prices.create(command, c.now, c.principal.livemode)),
    route('GET', '/v1/prices/:id', noParams, (_, c) => prices.retrieve(c.path.id!)),
    route('POST', '/v1/prices/:id', schemas.updatePrice, (command, c) => prices.update(c.path.id!, command, c.now)),
    route('GET', '/v1/prices', schemas.listPrices, async (command, c) => listResponse(c.url, await prices.list(command))),
  ];
}
