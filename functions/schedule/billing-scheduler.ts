import { loadConfig } from '../../lib/config';
import { makeBillingSchedulerHandler } from '../../lib/queue/billing-scheduler-handler';
import { queueDueWorkOf } from '../../lib/wiring/billing';
import { createPlatform, objectStore, ofMode, queueClient } from '../../lib/wiring/platform';

const platform = createPlatform(loadConfig(process.env, { queue: false, billingJobs: true }));
const sqs = queueClient(platform.config);
const of = ofMode((mode) => ({ billing: { queueDueWork: queueDueWorkOf(platform, objectStore(platform, mode), sqs) } }));

/** Runs on the EventBridge schedule: queues a billing job for every subscription with work due. */
export const handler = makeBillingSchedulerHandler({ ...platform, of });
