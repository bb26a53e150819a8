import type { Principal, Scope } from '../auth/api-keys';
import { parseParams, type CommandOf, type ParamsSchema } from './schema';

export interface RouteContext {
  /** The request's parameters, query string and body merged, as decoded (see ParsedRequest.input). */
  input: Record<string, unknown>;
  /** Values of the `:name` segments of the route pattern. */
  path: Record<string, string>;
  /** Undefined only on public routes. */
  principal: Principal;
  /** Request time, Unix seconds. */
  now: number;
  /** The request path, used as the `url` of list responses. */
  url: string;
}

export interface RouteResult {
  status?: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with `:name` segments, e.g. `/v1/customers/:id`. */
  pattern: string;
  /** `session` routes take a meter event session token instead of an API key; `none` is public. */
  auth?: 'key' | 'session' | 'none';
  /** The scope a restricted key needs; routes without one need a secret key. */
  scope?: Scope;
  /** The route's parameters: parsed before `handle` runs, and documented in the OpenAPI document. */
  schema?: ParamsSchema;
  handle(context: RouteContext): Promise<RouteResult>;
}

type RouteOptions = Pick<Route, 'auth' | 'scope'>;

/**
 * A route that parses its parameters with `schema` and hands the typed command to `run` (one use
 * case): the request itself never reaches the capability.
 */
export function route<S extends ParamsSchema>(
  method: Route['method'],
  pattern: string,
  schema: S,
  run: (command: CommandOf<S>, context: RouteContext) => Promise<unknown>,
  options: RouteOptions = {},
): Route {
  return { method, pattern, schema, ...options, handle: async (c) => ({ body: await run(parseParams(schema, c.input), c) }) };
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

/** Matches method and path against a route table. */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      return { route, regex: new RegExp(`^${source}/?$`), names };
    });
  }

  match(method: string, path: string): { route: Route; path: Record<string, string> } | undefined {
    for (const { route, regex, names } of this.compiled) {
      if (route.method !== method) continue;
      const m = regex.exec(path);
      if (!m) continue;
      const values: Record<string, string> = {};
      try {
        names.forEach((name, i) => (values[name] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return undefined; // A malformed percent-escape names nothing: an unknown URL.
      }
      return { route, path: values };
    }
    return undefined;
  }
}
