import { loadConfig } from '../../lib/config';
import { makeHostedPageHandler } from '../../lib/documents/page-handler';
import { hostedInvoicesOf } from '../../lib/wiring/documents';
import { createPlatform } from '../../lib/wiring/platform';

const platform = createPlatform(loadConfig(process.env, { queue: false }));

/** GET /i/{token}: a finalized invoice's public page (no key; the token is the credential). */
export const handler = makeHostedPageHandler(hostedInvoicesOf(platform), platform.logger);
