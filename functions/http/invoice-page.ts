import { loadConfig } from '../../lib/config';
import { makeHostedPageHandler } from '../../lib/documents/page-handler';
import { createServices } from '../../lib/services';

const services = createServices(loadConfig(process.env, { queue: false }));

/** GET /i/{token}: a finalized invoice's public page (no key; the token is the credential). */
export const handler = makeHostedPageHandler(services.hostedInvoices, services.logger);
