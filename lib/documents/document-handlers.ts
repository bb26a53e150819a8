import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { HostedInvoice, HostedInvoices } from './hosted-invoices';

export type DocumentHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** `/i/<token>` (the page) and `/i/<token>/pdf` (the PDF). */
const PATH = /^\/i\/([^/]+)(\/pdf)?\/?$/;

/** The document paths (all of `/i/`): the local gateway routes them as CloudFront and the CDK stack's routes do. */
export const isDocumentPath = (path: string) => path.startsWith('/i/');
export const isPdfPath = (path: string) => /\/pdf\/?$/.test(path);

/** What an unknown, altered or malformed token gets: nothing that tells them apart. */
const NOT_FOUND: APIGatewayProxyStructuredResultV2 = {
  statusCode: 404,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  body: 'Not Found',
};

/** Headers every document answer carries: never indexed, never cached by a shared cache, no referrer leaks the token. */
export const DOCUMENT_HEADERS = {
  'cache-control': 'private, no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
};

/**
 * A public handler for one kind of invoice document: it needs no key, sets no cookie, and
 * answers 404 for any token that opens nothing.
 */
export function makeDocumentHandler(
  hosted: HostedInvoices,
  logger: Logger,
  wants: 'page' | 'pdf',
  render: (found: HostedInvoice, token: string) => Promise<APIGatewayProxyStructuredResultV2>,
): DocumentHandler {
  return async (event) => {
    const match = PATH.exec(event.rawPath);
    const method = event.requestContext.http.method;
    if (!match || (method !== 'GET' && method !== 'HEAD') || (match[2] !== undefined) !== (wants === 'pdf')) return NOT_FOUND;
    try {
      const token = decodeURIComponent(match[1]!);
      const found = await hosted.find(token);
      return found ? await render(found, token) : NOT_FOUND;
    } catch (error) {
      logger.error('invoice document failed', { error: error as Error, wants });
      return { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Something went wrong; please try again.' };
    }
  };
}
