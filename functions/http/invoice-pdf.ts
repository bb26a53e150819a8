import { loadConfig } from '../../lib/config';
import { makeInvoicePdfHandler } from '../../lib/documents/pdf-handler';
import { createServices } from '../../lib/services';

const services = createServices(loadConfig(process.env, { queue: false }));

/** GET /i/{token}/pdf: a finalized invoice's PDF. The only function that bundles the PDF library and its fonts. */
export const handler = makeInvoicePdfHandler(services.hostedInvoices, services.logger);
