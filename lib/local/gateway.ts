import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { openApiJson } from '../api/openapi';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpHandler } from '../http/handler';
import { isDocumentPath, isPdfPath, type DocumentHandler } from '../documents/document-handlers';
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

/** Paths the HTTP API answers; every other GET is the console's. */
const isApiPath = (url: string) => /^\/(v1|v2)(\/|$|\?)|^\/healthz(\?|$)/.test(url);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The headers CloudFront's response headers policy sets on AWS: a strict CSP, nothing from third parties. */
export const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** A file of the built console; unknown paths get index.html (the single-page app routes itself). */
async function serveConsole(dir: string, req: IncomingMessage, res: ServerResponse) {
  const root = resolve(dir);
  let pathname = '/';
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    // A malformed escape names no file: the app itself answers.
  }
  let file = resolve(root, `.${pathname}`);
  if (!file.startsWith(root + sep) || !(await stat(file).then((s) => s.isFile(), () => false))) file = join(root, 'index.html');
  const body = await readFile(file).catch(() => undefined);
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('The console is not built: run npm run build:web.');
    return;
  }
  res.writeHead(200, {
    ...CONSOLE_HEADERS,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    // Hashed assets never change; index.html always revalidates.
    'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

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
  handlers: { api: HttpHandler; ingest: HttpHandler; invoicePage: DocumentHandler; invoicePdf: DocumentHandler },
  port: number,
  host = '127.0.0.1',
  /** The built console (web/dist), served on every other GET path as CloudFront serves it on AWS. */
  consoleDir?: string,
): Promise<Server> {
  const answer = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2) => {
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : result.body);
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      // Hosted invoice pages and PDFs: public, no key, no body (their own functions on AWS).
      const path = (req.url ?? '/').split('?')[0]!;
      if (isDocumentPath(path)) {
        const event = toGatewayEvent(req, Buffer.alloc(0));
        req.resume();
        return answer(res, await (isPdfPath(path) ? handlers.invoicePdf : handlers.invoicePage)(event));
      }
      // The OpenAPI document of this API, public like the console (generated from the parameter schemas).
      if (path === '/openapi.json' && (req.method === 'GET' || req.method === 'HEAD')) {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        return res.end(req.method === 'HEAD' ? undefined : openApiJson());
      }
      if (consoleDir && (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(req.url ?? '/')) return await serveConsole(consoleDir, req, res);
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
