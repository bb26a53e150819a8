import { loadConfig } from '../../lib/config';
import { makeUsageRollupHandler } from '../../lib/queue/usage-rollup-handler';
import { createPlatform, ofMode } from '../../lib/wiring/platform';
import { usageRollupsOf } from '../../lib/wiring/rollups';

const platform = createPlatform(loadConfig(process.env, { queue: false }));

/** Usage-table stream consumer: keeps usage across customers (a meter's hours and days, each customer's days) for the console. */
export const handler = makeUsageRollupHandler({ ...platform, of: ofMode((mode) => ({ rollups: usageRollupsOf(platform, mode) })) });
