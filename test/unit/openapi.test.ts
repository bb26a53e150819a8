import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { allRoutes, openApiDocument, openApiJson } from '../../lib/api/openapi';
import type { HttpHandler } from '../../lib/http/handler';
import { startGateway } from '../../lib/local/gateway';

const document = openApiDocument() as { paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> }>> };
const openApiPath = (pattern: string) => pattern.replace(/:([A-Za-z_]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('has an operation for every route of the route tables, with its path parameters and the Stripe error response', () => {
    const routes = allRoutes();
    expect(routes.length).toBeGreaterThan(60);
    for (const route of routes) {
      const operation = document.paths[openApiPath(route.pattern)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.pattern}`).toBeDefined();
      for (const [, name] of route.pattern.matchAll(/:([A-Za-z_]+)/g)) expect(operation!.parameters).toContainEqual(expect.objectContaining({ name, in: 'path' }));
      expect(operation!.responses['400']).toEqual({ description: "Stripe's error object", content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    }
    const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(operations).toBe(new Set(routes.map((r) => `${r.method} ${r.pattern}`)).size);
  });

  it('documents parameters from the schemas: form bodies with bracket objects, lists as query parameters', () => {
    const createPrice = document.paths['/v1/prices']!.post!.requestBody!.content['application/x-www-form-urlencoded']!.schema as {
      required: string[];
      properties: Record<string, { type?: string; items?: { properties: Record<string, unknown> } }>;
    };
    expect(createPrice.required).toEqual(['currency']);
    expect(createPrice.properties.tiers!.type).toBe('array');
    expect(Object.keys(createPrice.properties.tiers!.items!.properties)).toContain('up_to');
    expect(document.paths['/v1/customers']!.get!.parameters.map((p) => p.name)).toEqual(['limit', 'starting_after', 'ending_before', 'email', 'test_clock']);
    expect(document.paths['/v2/billing/meter_event_stream']!.post!.requestBody!.content).toHaveProperty('application/json');
  });

  it('is committed up to date (run `npm run openapi` after changing a schema or a route)', () => {
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
    expect(committed === openApiJson(), 'docs/openapi.json differs from the generated document: run npm run openapi').toBe(true);
  });

  it('is served by the local gateway at GET /openapi.json, without a key', async () => {
    const refuse = (async () => {
      throw new Error('no handler runs for the OpenAPI document');
    }) as unknown as HttpHandler;
    const server = await startGateway({ api: refuse, ingest: refuse, invoicePage: refuse as never, invoicePdf: refuse as never }, 0);
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(openApiJson());
    } finally {
      server.close();
    }
  });
});
