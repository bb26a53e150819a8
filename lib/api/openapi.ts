import { toJsonSchema, type JsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import type { Route } from '../http/router';
import type { StackModeServices } from '../services';
import { apiRoutes } from './api-routes';
import { ingestRoutes } from './ingest-routes';

/**
 * Services that are never called: the route tables only capture references to the use cases when
 * they are built, so a stub lets the document list every route without a store or a queue.
 */
function unusedServices(): StackModeServices {
  const stub: object = new Proxy(function unused() {}, { get: (_, key) => (key === 'mode' ? 'test' : stub), apply: () => stub });
  return stub as StackModeServices;
}

/** Every route of the HTTP API (both functions), as the handlers match them. */
export function allRoutes(): Route[] {
  const s = unusedServices();
  return [...apiRoutes(s), ...ingestRoutes(s)];
}

type Doc = JsonSchema & { object?: GenericSchema & { entries: Record<string, GenericSchema> }; items?: GenericSchema };
type SchemaNode = GenericSchema & { pipe?: SchemaNode[]; wrapped?: SchemaNode; metadata?: { doc?: Doc } };

/** The documentation a field of lib/http/schema.ts carries (its metadata action), if any. */
function docOf(schema: SchemaNode): Doc | undefined {
  return schema.pipe?.find((item) => item.type === 'metadata' && item.metadata?.doc)?.metadata?.doc;
}

/**
 * The JSON Schema of the parameters a schema accepts, as sent: each field of lib/http/schema.ts
 * documents itself (its reading rules are code, not JSON Schema); objects list their entries, and
 * valibot's own schemas are converted by @valibot/to-json-schema.
 */
export function jsonSchemaOf(schema: GenericSchema): JsonSchema {
  const node = schema as SchemaNode;
  if (node.type === 'optional' && node.wrapped) return jsonSchemaOf(node.wrapped);
  const doc = docOf(node);
  if (doc) {
    const { object, items, ...rest } = doc;
    if (object) {
      const entries = Object.entries(object.entries).filter(([name]) => name !== 'expand');
      const required = entries.filter(([, entry]) => entry.type !== 'optional').map(([name]) => name);
      return {
        type: 'object',
        properties: Object.fromEntries(entries.map(([name, entry]) => [name, jsonSchemaOf(entry)])),
        ...(required.length ? { required } : {}),
        additionalProperties: false,
        ...rest,
      };
    }
    if (items) return { type: 'array', items: jsonSchemaOf(items), ...rest };
    return rest;
  }
  // A pipe around a documented schema (a list's paging, an object rule): the schema it refines.
  const first = node.pipe?.[0];
  if (first && first !== node && first.pipe) return jsonSchemaOf(first);
  const { $schema: _, ...json } = toJsonSchema(schema, { target: 'openapi-3.0', typeMode: 'input', errorMode: 'ignore' }) as JsonSchema & { $schema?: string };
  return json;
}

/** Stripe's error object, the answer to every refused request. */
const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: {
        type: { type: 'string', enum: ['invalid_request_error', 'api_error', 'idempotency_error'] },
        code: { type: 'string', description: 'A stable snake_case code, e.g. parameter_missing, parameter_unknown, parameter_invalid, resource_missing.' },
        message: { type: 'string' },
        param: { type: 'string', description: 'The parameter in the wrong, in bracket notation (tiers[1][up_to]).' },
      },
    },
  },
};

const errorResponse = { description: "Stripe's error object", content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** A path as OpenAPI writes it (`/v1/customers/{id}`). */
const openApiPath = (pattern: string) => pattern.replace(/:([A-Za-z_]+)/g, '{$1}');

/** One route: its path parameters, its parameters (query for GET and DELETE, a form or JSON body for POST), its answers. */
function operationOf(route: Route): Record<string, unknown> {
  const params: JsonSchema = route.schema ? jsonSchemaOf(route.schema as GenericSchema) : { type: 'object' };
  const pathParams = [...route.pattern.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const properties = (params.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((params.required ?? []) as string[]);
  const inQuery = route.method !== 'POST';
  const queryParams = inQuery
    ? Object.entries(properties).map(([name, schema]) => ({
        name,
        in: 'query',
        required: required.has(name),
        schema,
        ...((schema as { type?: string }).type === 'object' || (schema as { type?: string }).type === 'array' ? { style: 'deepObject', explode: true } : {}),
      }))
    : [];
  const v2 = route.pattern.startsWith('/v2/');
  const body = inQuery
    ? {}
    : {
        requestBody: {
          required: required.size > 0,
          content: v2 ? { 'application/json': { schema: params } } : { 'application/x-www-form-urlencoded': { schema: params }, 'application/json': { schema: params } },
        },
      };
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.pattern).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(route.auth === 'none' ? { security: [] } : route.auth === 'session' ? { security: [{ meterEventSession: [] }] } : {}),
    ...(route.scope ? { 'x-meterline-scope': route.scope } : {}),
    parameters: [...pathParams, ...queryParams],
    ...body,
    responses: {
      '200': { description: 'The object, list or result the operation answers.', content: { 'application/json': { schema: { type: 'object' } } } },
      '400': errorResponse,
      '401': errorResponse,
      '403': errorResponse,
      '404': errorResponse,
      '409': errorResponse,
      '429': errorResponse,
      '500': errorResponse,
    },
  };
}

/** The OpenAPI 3.0 document of the HTTP API, generated from the route tables and their parameter schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of allRoutes()) {
    const path = openApiPath(route.pattern);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Meterline API',
      version: '0.1.0',
      description: 'Stripe-compatible usage-based billing. v1 bodies are form-encoded with bracket notation (JSON is accepted too); v2 bodies are JSON. Generated by `npm run openapi` from the parameter schemas (lib/api/schemas).',
    },
    servers: [{ url: 'http://localhost:4242' }],
    security: [{ secretKey: [] }],
    components: {
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', description: 'A secret (sk_…) or restricted (rk_…) key.' },
        meterEventSession: { type: 'http', scheme: 'bearer', description: 'A meter event session token (POST /v2/billing/meter_event_session).' },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

/** The document as `npm run openapi` writes it to docs/openapi.json. */
export const openApiJson = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
