import { loadConfig } from '../../lib/config';
import { makeBillingWorkerHandler } from '../../lib/queue/billing-worker-handler';
import { billingOf, catalogOf } from '../../lib/wiring/billing';
import { meteringStores } from '../../lib/wiring/metering';
import { createPlatform, ofMode, queueClient } from '../../lib/wiring/platform';

const platform = createPlatform(loadConfig(process.env, { queue: false }));
const sqs = queueClient(platform.config);
const of = ofMode((mode) => {
  const stores = meteringStores(platform, mode);
  return { billing: billingOf(platform, stores, catalogOf(stores), sqs) };
});

/** Billing-jobs queue consumer: brings one subscription or expiring credit grant up to date per job; failed jobs stay queued. */
export const handler = makeBillingWorkerHandler({ ...platform, of });
