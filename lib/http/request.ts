import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import qs from 'qs';
import { InvalidRequestError } from '../errors';

export interface ParsedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Query string and body merged, as Stripe treats them. */
  input: Record<string, unknown>;
  /** The raw body, for idempotency fingerprints. */
  rawBody: string;
}

const QS_OPTIONS = { depth: 6, arrayLimit: 1000, parameterLimit: 10_000, allowPrototypes: false };

/** Turns an API Gateway v2 event into method, path, lower-cased headers and parameters. */
export function parseRequest(event: APIGatewayProxyEventV2): ParsedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const rawBody = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const query = event.rawQueryString ? qs.parse(event.rawQueryString, QS_OPTIONS) : {};
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    headers,
    input: { ...query, ...parseBody(rawBody, headers['content-type'] ?? '') },
    rawBody,
  };
}

function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (!body.trim()) return {};
  const looksJson = contentType.includes('json') || /^\s*[{[]/.test(body);
  if (looksJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new InvalidRequestError('Invalid JSON body.', undefined, 'body_invalid');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError('The JSON body must be an object.', undefined, 'body_invalid');
    }
    return parsed as Record<string, unknown>;
  }
  return qs.parse(body, QS_OPTIONS) as Record<string, unknown>;
}
