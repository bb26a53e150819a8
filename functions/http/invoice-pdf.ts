import { loadConfig } from '../../lib/config';
import { makeInvoicePdfHandler } from '../../lib/documents/pdf-handler';
import { hostedInvoicesOf } from '../../lib/wiring/documents';
import { createPlatform } from '../../lib/wiring/platform';

const platform = createPlatform(loadConfig(process.env, { queue: false }));

/** GET /i/{token}/pdf: a finalized invoice's PDF. The only function that bundles the PDF library and its fonts. */
export const handler = makeInvoicePdfHandler(hostedInvoicesOf(platform), platform.logger);
