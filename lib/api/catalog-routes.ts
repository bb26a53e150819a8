import { pathId, type Route } from '../http/router';
import { listResponse } from '../http/response';
import type { ModeServices } from '../services';

/** The product catalog: /v1/products and /v1/prices. */
export function catalogRoutes(s: ModeServices): Route[] {
  return [
    // Products
    { method: 'POST', pattern: '/v1/products', handle: async (c) => ({ body: await s.products.create(c.params, c.now, c.principal.livemode) }) },
    {
      method: 'GET',
      pattern: '/v1/products/:id',
      handle: async (c) => ({ body: await s.products.retrieve(pathId(c)) }),
    },
    { method: 'POST', pattern: '/v1/products/:id', handle: async (c) => ({ body: await s.products.update(c.path.id!, c.params, c.now) }) },
    { method: 'DELETE', pattern: '/v1/products/:id', handle: async (c) => ({ body: await s.products.delete(c.path.id!, c.params, c.now) }) },
    {
      method: 'GET',
      pattern: '/v1/products',
      handle: async (c) => {
        const page = await s.products.list(c.params);
        return { body: listResponse(c.url, page) };
      },
    },

    // Prices
    { method: 'POST', pattern: '/v1/prices', handle: async (c) => ({ body: await s.prices.create(c.params, c.now, c.principal.livemode) }) },
    {
      method: 'GET',
      pattern: '/v1/prices/:id',
      handle: async (c) => ({ body: await s.prices.retrieve(pathId(c)) }),
    },
    { method: 'POST', pattern: '/v1/prices/:id', handle: async (c) => ({ body: await s.prices.update(c.path.id!, c.params, c.now) }) },
    {
      method: 'GET',
      pattern: '/v1/prices',
      handle: async (c) => {
        const page = await s.prices.list(c.params);
        return { body: listResponse(c.url, page) };
      },
    },
  ];
}
