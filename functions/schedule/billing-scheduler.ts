import { loadConfig } from '../../lib/config';
import { makeBillingSchedulerHandler } from '../../lib/queue/billing-scheduler-handler';
import { createServices } from '../../lib/services';

/** Runs on the EventBridge schedule: queues a billing job for every subscription with work due. */
export const handler = makeBillingSchedulerHandler(
  createServices(loadConfig(process.env, { queue: false, billingJobs: true })),
);
