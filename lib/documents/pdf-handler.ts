import type { Logger } from '@aws-lambda-powertools/logger';
import { DOCUMENT_HEADERS, makeDocumentHandler, type DocumentHandler } from './document-handlers';
import type { HostedInvoices } from './hosted-invoices';
import { renderInvoicePdf } from './invoice-pdf';

/** GET /i/<token>/pdf: the invoice's PDF, rendered on request (the same bytes every time for the same invoice state). */
export function makeInvoicePdfHandler(hosted: HostedInvoices, logger: Logger): DocumentHandler {
  return makeDocumentHandler(hosted, logger, 'pdf', async ({ invoice, document }) => {
    const pdf = await renderInvoicePdf(document, new Date((invoice.status_transitions.finalized_at ?? invoice.created) * 1000));
    const name = (invoice.number ?? invoice.id).replace(/[^A-Za-z0-9-]/g, '');
    return {
      statusCode: 200,
      headers: { ...DOCUMENT_HEADERS, 'content-type': 'application/pdf', 'content-disposition': `inline; filename="Invoice-${name}.pdf"` },
      body: pdf.toString('base64'),
      isBase64Encoded: true,
    };
  });
}
