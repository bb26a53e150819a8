import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MeterlineError } from '../errors';
import { stripeJson } from '../domain/stripe-shapes';

/** A JSON response as API Gateway expects it. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: stripeJson(body),
  };
}

/** Stripe's error object for a known error; 5xx carry a generic message only. */
export function errorResponse(error: unknown, requestId?: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = requestId ? { 'request-id': requestId } : {};
  if (error instanceof MeterlineError) {
    const body: Record<string, unknown> = { type: error.type, code: error.code, message: error.message };
    if (error.param !== undefined) body.param = error.param;
    return jsonResponse(error.status, { error: body }, headers);
  }
  return jsonResponse(
    500,
    { error: { type: 'api_error', message: 'An unexpected error occurred. Please retry.' } },
    headers,
  );
}

/** Stripe's list envelope. */
export function listResponse<T>(url: string, page: { data: T[]; hasMore: boolean }) {
  return { object: 'list' as const, url, has_more: page.hasMore, data: page.data };
}
