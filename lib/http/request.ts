import type { APIGatewayProxyEventV2 } from 'aws-lambda';
// The parser alone: the stringifier is never used here (see qs-parse.d.ts).
import parseQuery from 'qs/lib/parse.js';
import { InvalidRequestError, UnknownParameterError } from '../errors';

export interface ParsedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Query string and body merged, as Stripe treats them. */
  input: Record<string, unknown>;
  /** The raw body, for idempotency fingerprints. */
  rawBody: string;
}

/** More parameters than any request needs; past it a request is refused, never cut short. */
const MAX_PARAMETERS = 10_000;
/** Deeper than any parameter nests (`items[0][price_data][recurring][interval]`). */
const MAX_DEPTH = 6;
/**
 * Null-prototype objects (`plainObjects`), so that parameters named like Object's own properties
 * (`metadata[constructor]`, `metadata[toString]`) are kept as parameters, not dropped.
 */
const QS_OPTIONS = { depth: MAX_DEPTH, arrayLimit: 1000, parameterLimit: MAX_PARAMETERS + 1, plainObjects: true, strictDepth: true };

/** Header names lower-cased, as every lookup here expects them. */
export function lowerCaseHeaders(raw: Record<string, string | undefined> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  return headers;
}

/** Turns an API Gateway v2 event into method, path, lower-cased headers and parameters. */
export function parseRequest(event: APIGatewayProxyEventV2): ParsedRequest {
  const headers = lowerCaseHeaders(event.headers);
  const rawBody = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const query = event.rawQueryString ? parseForm(event.rawQueryString) : {};
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
    for (const [name, value] of Object.entries(parsed)) {
      if (name === '__proto__') throw new UnknownParameterError(name);
      refuseDeepOrProto(value, name, 1);
    }
    return parsed as Record<string, unknown>;
  }
  return parseForm(body);
}

/** A form-encoded parameter list (`a[b]=1&c=2`); refused, never cut short or cleaned, when it cannot be taken whole. */
function parseForm(text: string): Record<string, unknown> {
  const pairs = text.split('&');
  if (pairs.length > MAX_PARAMETERS) {
    // Named by the first parameter past the limit.
    throw new InvalidRequestError(`A request can have at most ${MAX_PARAMETERS} parameters.`, decodeName(pairs[MAX_PARAMETERS]!.split('=', 1)[0]!) || undefined, 'parameters_exceeded');
  }
  for (const pair of pairs) {
    const name = decodeName(pair.split('=', 1)[0]!);
    // qs drops these silently (they would reach Object.prototype): say so instead.
    if (/(^|\[)__proto__(\]|\[|$)/.test(name)) throw new UnknownParameterError(name);
  }
  try {
    return parseQuery(text, QS_OPTIONS) as Record<string, unknown>;
  } catch (error) {
    // strictDepth: nested deeper than any parameter.
    const name = decodeName(pairs.find((p) => (p.split('=', 1)[0]!.match(/%5B|\[/gi)?.length ?? 0) > MAX_DEPTH)?.split('=', 1)[0] ?? '');
    if (error instanceof RangeError) throw new InvalidRequestError(`Parameters nest at most ${MAX_DEPTH} levels deep.`, name.split('[')[0] || undefined);
    throw error;
  }
}

/** A parameter name as sent, decoded where it can be (a malformed escape stays as it is). */
function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** JSON values nest at most as deep as form parameters can, and never name `__proto__`. */
function refuseDeepOrProto(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_DEPTH) throw new InvalidRequestError(`Parameters nest at most ${MAX_DEPTH} levels deep.`, path);
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}[${key}]`;
    if (key === '__proto__') throw new UnknownParameterError(at);
    refuseDeepOrProto(inner, at, depth + 1);
  }
}
