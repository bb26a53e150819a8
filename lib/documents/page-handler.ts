import type { Logger } from '@aws-lambda-powertools/logger';
import { DOCUMENT_HEADERS, makeDocumentHandler, type DocumentHandler } from './document-handlers';
import { HOSTED_PAGE_CSP, renderHostedPage } from './hosted-page';
import type { HostedInvoices } from './hosted-invoices';

/** GET /i/<token>: the hosted invoice page. */
export function makeHostedPageHandler(hosted: HostedInvoices, logger: Logger): DocumentHandler {
  return makeDocumentHandler(hosted, logger, 'page', async ({ invoice, document }) => ({
    statusCode: 200,
    headers: { ...DOCUMENT_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': HOSTED_PAGE_CSP },
    body: renderHostedPage(document, invoice.invoice_pdf ?? ''),
  }));
}
