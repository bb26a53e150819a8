import { loadConfig } from '../../lib/config';
import { makeBillingWorkerHandler } from '../../lib/queue/billing-worker-handler';
import { createServices } from '../../lib/services';

/** Billing-jobs queue consumer: brings one subscription or expiring credit grant up to date per job; failed jobs stay queued. */
export const handler = makeBillingWorkerHandler(createServices(loadConfig(process.env, { queue: false })));
