import { describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { makeHttpHandler, type HttpDeps } from '../../lib/http/handler';
import { InvalidRequestError } from '../../lib/errors';
import { route, type Route } from '../../lib/http/router';
import { p, params } from '../../lib/http/schema';

function event(method: string, path: string, body = '', contentType = 'application/x-www-form-urlencoded'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': contentType },
    requestContext: { requestId: 'req_1', http: { method, path } } as APIGatewayProxyEventV2['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

function handlerFor(routes: Route[]) {
  const logger = new Logger({ logLevel: 'SILENT' });
  const error = vi.spyOn(logger, 'error');
  const deps = { apiKeys: {}, idempotency: {}, nowMs: () => 0, logger } as unknown as HttpDeps;
  return { handler: makeHttpHandler(routes, deps), error };
}

const publicRoute = (handle: Route['handle']): Route => ({ method: 'POST', pattern: '/v1/things/:id', auth: 'none', handle });

describe('makeHttpHandler', () => {
  it('reads bracket-notation form bodies and path parameters', async () => {
    const { handler } = handlerFor([
      { ...route('POST', '/v1/things/:id', params({ default_aggregation: p.object({ formula: p.string() }) }), async (command, c) => ({ id: c.path.id, formula: command.default_aggregation.formula })), auth: 'none' },
    ]);
    const res = await handler(event('POST', '/v1/things/th_1', 'default_aggregation%5Bformula%5D=sum'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ id: 'th_1', formula: 'sum' });
  });

  it('answers bad input with a 400 that names the parameter', async () => {
    const { handler } = handlerFor([
      publicRoute(async () => {
        throw new InvalidRequestError('Invalid integer: x', 'limit');
      }),
    ]);
    const res = await handler(event('POST', '/v1/things/th_1'));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toEqual({ error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'Invalid integer: x', param: 'limit' } });
  });

  it('answers an unexpected failure with a generic 500, logging the details instead', async () => {
    const { handler, error } = handlerFor([
      publicRoute(async () => {
        throw new Error('ECONNREFUSED 10.0.0.7:8000 table meterline-MainTable');
      }),
    ]);
    const res = await handler(event('POST', '/v1/things/th_1'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(JSON.parse(res.body!).error.type).toBe('api_error');
    expect(error).toHaveBeenCalledOnce();
  });

  it('answers an unknown route with 404 and a malformed JSON body with 400', async () => {
    const { handler } = handlerFor([publicRoute(async () => ({ body: {} }))]);
    expect((await handler(event('GET', '/v1/nothing'))).statusCode).toBe(404);
    const res = await handler(event('POST', '/v1/things/th_1', '{"a":', 'application/json'));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!).error.code).toBe('body_invalid');
  });
});
