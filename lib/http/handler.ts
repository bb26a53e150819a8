import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { allows, type ApiKeys, type Principal, type SessionVerifier } from '../auth/api-keys';
import { AuthenticationError, MeterlineError, PermissionError, UnknownRouteError } from '../errors';
import { IdempotencyStore } from './idempotency';
import { lowerCaseHeaders, parseRequest, type ParsedRequest } from './request';
import { errorResponse, jsonResponse } from './response';
import { onBehalfOf } from '../events/request-context';
import { Router, type Route } from './router';
import { modeOf, type Mode } from '../store/keys';

export type { SessionVerifier };

export interface HttpDeps {
  apiKeys: ApiKeys;
  sessions?: SessionVerifier;
  idempotency: IdempotencyStore;
  /** Wall clock in milliseconds; the only place a handler reads time. */
  nowMs: () => number;
  logger?: Logger;
}

/** A route table per mode: a request runs the route of its key's mode, bound to that mode's services. */
export type ModeRoutes = Readonly<Record<Mode, readonly Route[]>>;

export type HttpHandler = ((event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>) & {
  /**
   * The answer to a request whose key is missing, unknown or lacks the route's scope, decided
   * from its method, path and headers alone (undefined when it may go on): a front end can refuse
   * it before reading its body.
   */
  refusal?(event: Pick<APIGatewayProxyEventV2, 'rawPath' | 'headers' | 'requestContext'>): Promise<APIGatewayProxyStructuredResultV2 | undefined>;
};

function presentedSecret(headers: Record<string, string>): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    // Stripe accepts the key as the basic-auth user name with an empty password.
    return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  }
  return undefined;
}

function redact(secret: string): string {
  return `${secret.slice(0, 8)}${'*'.repeat(Math.max(0, secret.length - 12))}${secret.slice(-4)}`;
}

/** Stripe's form of a request id (`req_…`), from API Gateway's: the `Request-Id` header and the `request.id` of the request's events. */
export function requestIdOf(event: APIGatewayProxyEventV2): string {
  return `req_${event.requestContext.requestId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** No request runs longer: HTTP API ends an integration at 30 s. */
export const REQUEST_LIMIT_MS = 30_000;

const anonymous: Principal = { keyId: 'anonymous', type: 'restricted', livemode: false, scopes: [] };

async function authenticate(route: Route, request: ParsedRequest, deps: HttpDeps, now: number): Promise<Principal> {
  if (route.auth === 'none') return anonymous;
  const secret = presentedSecret(request.headers);
  if (!secret) {
    throw new AuthenticationError(
      'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').',
      'api_key_missing',
    );
  }
  const principal =
    route.auth === 'session' && deps.sessions
      ? await deps.sessions.verify(secret, now)
      : await deps.apiKeys.verify(secret, deps.nowMs());
  if (!principal) throw new AuthenticationError(`Invalid API Key provided: ${redact(secret)}`);
  if (route.auth !== 'session' && !allows(principal, route.scope, route.method)) {
    throw new PermissionError(
      `The provided key '${redact(secret)}' does not have the required permissions for this endpoint. ${
        route.scope ? `Having the '${route.scope}' permission would allow this request to continue.` : 'This endpoint needs a secret key.'
      }`,
    );
  }
  return principal;
}

/**
 * Builds the API Gateway handler for a route table (one for both modes, or one per mode): parses
 * the request (form or JSON), authenticates, replays idempotent POSTs, runs the route of the key's
 * mode and maps errors to Stripe's shape.
 */
export function makeHttpHandler(routes: readonly Route[] | ModeRoutes, deps: HttpDeps): HttpHandler {
  const tables: ModeRoutes = Array.isArray(routes) ? { test: routes, live: routes } : (routes as ModeRoutes);
  const routers: Record<Mode, Router> = { test: new Router(tables.test), live: new Router(tables.live) };
  const logger = deps.logger ?? new Logger({ serviceName: 'meterline-api' });

  /** Runs the route, storing its response under the Idempotency-Key if there is one. */
  async function runIdempotent(
    request: ParsedRequest,
    principal: Principal,
    budgetMs: number,
    run: () => Promise<{ status: number; body: unknown }>,
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    if (!key) return { ...(await run()), headers: {} };
    const fingerprint = IdempotencyStore.fingerprint(request.method, request.path, request.input);
    const reservation = await deps.idempotency.reserve(principal.keyId, key, fingerprint, deps.nowMs(), budgetMs);
    if (reservation.kind === 'replay') {
      return { ...reservation.response, headers: { 'idempotent-replayed': 'true', 'idempotency-key': key } };
    }
    let result;
    try {
      result = await run();
    } catch (error) {
      // Only executed requests are saved (as Stripe does): a failed one may be retried.
      await deps.idempotency.release(principal.keyId, key);
      throw error;
    }
    await deps.idempotency.complete(principal.keyId, key, result);
    return { ...result, headers: { 'idempotency-key': key } };
  }

  async function handle(event: APIGatewayProxyEventV2, context: Partial<Context>): Promise<APIGatewayProxyStructuredResultV2> {
    const request = parseRequest(event);
    // Both tables have the same paths, authentication and scopes; only their services differ.
    const found = routers.test.match(request.method, request.path);
    if (!found) throw new UnknownRouteError(request.method, request.path);
    const now = Math.floor(deps.nowMs() / 1000);
    const principal = await authenticate(found.route, request, deps, now);
    const match = routers[modeOf(principal.livemode)].match(request.method, request.path)!;
    const requestId = requestIdOf(event);
    const idempotencyKey = request.method === 'POST' ? (request.headers['idempotency-key'] ?? null) : null;
    // How long this request can still be running: its function's remaining time, or HTTP API's limit.
    const budgetMs = context.getRemainingTimeInMillis?.() ?? REQUEST_LIMIT_MS;
    const result = await runIdempotent(request, principal, budgetMs, () =>
      // Events recorded by the route name this request (Stripe's `request.id` and `idempotency_key`).
      onBehalfOf({ id: requestId, idempotency_key: idempotencyKey }, async () => {
        const out = await match.route.handle({ input: request.input, path: match.path, principal, now, url: request.path });
        return { status: out.status ?? 200, body: out.body };
      }),
    );
    return jsonResponse(result.status, result.body, { 'request-id': requestId, ...result.headers });
  }

  const wrapped = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().use(stripeErrors(logger)).handler(handle);
  // The local gateway has no Lambda context; middy only needs an object.
  const handler: HttpHandler = (event, context) => wrapped(event, context ?? ({} as Context));
  handler.refusal = async (event) => {
    const headers = lowerCaseHeaders(event.headers);
    const found = routers.test.match(event.requestContext.http.method.toUpperCase(), event.rawPath);
    if (!found || found.route.auth === 'none') return undefined;
    try {
      await authenticate(found.route, { method: event.requestContext.http.method, path: event.rawPath, headers, input: {}, rawBody: '' }, deps, Math.floor(deps.nowMs() / 1000));
      return undefined;
    } catch (error) {
      return errorResponse(error, requestIdOf(event as APIGatewayProxyEventV2));
    }
  };
  return handler;
}

/** Middleware that answers every error with Stripe's error object; 5xx are logged in full. */
export function stripeErrors(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const { error, event } = request;
      const requestId = requestIdOf(event);
      if (!(error instanceof MeterlineError) || error.status >= 500) {
        logger.error('request failed', { error: error as Error, requestId, path: event.rawPath });
      }
      request.response = errorResponse(error, requestId);
    },
  };
}
