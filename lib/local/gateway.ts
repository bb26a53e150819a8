import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpHandler } from '../http/handler';
import { ingestRoutes } from '../store/resources';

const TEXT_TYPES = /json|text|x-www-form-urlencoded|xml/;

/** The API Gateway v2 (HTTP API) proxy event that the real gateway would send for `req`. */
export function toGatewayEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const isText = TEXT_TYPES.test(headers['content-type'] ?? 'text/plain');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}

const ingestKeys = new Set<string>(ingestRoutes);

/** HTTP API's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** What API Gateway answers a body over its limit; the rest of the body is not read. */
function tooLarge(req: IncomingMessage, res: ServerResponse) {
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
  req.destroy();
}

/**
 * The local HTTP API: routes each request to the ingest or api handler exactly as the CDK
 * stack's routes do, and writes back the handler's result.
 */
export function startGateway(
  handlers: { api: HttpHandler; ingest: HttpHandler },
  port: number,
  host = '127.0.0.1',
): Promise<Server> {
  const answer = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2) => {
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : result.body);
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      // As API Gateway: a body over its limit is refused, and never read.
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge(req, res);
      const head = toGatewayEvent(req, Buffer.alloc(0));
      const handler = ingestKeys.has(`${head.requestContext.http.method} ${head.rawPath}`) ? handlers.ingest : handlers.api;
      // A request without a valid key is answered before its body is read.
      const refusal = await handler.refusal?.(head);
      if (refusal) {
        answer(res, refusal);
        req.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) return tooLarge(req, res);
        chunks.push(chunk as Buffer);
      }
      answer(res, await handler(toGatewayEvent(req, Buffer.concat(chunks))));
    } catch {
      // What API Gateway answers when the integration fails.
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    }
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
