import { loadConfig } from '../../lib/config';
import { makeUsageRollupHandler } from '../../lib/queue/usage-rollup-handler';
import { createServices } from '../../lib/services';

/** Usage-table stream consumer: keeps usage across customers (a meter's hours and days, each customer's days) for the console. */
export const handler = makeUsageRollupHandler(createServices(loadConfig(process.env, { queue: false })));
