import { UsageRollupStore } from '../metering/usage-rollup';
import type { Mode } from '../store/keys';
import type { Platform } from './platform';

/** Usage across customers of one mode, kept from the usage table's stream (the console's charts). */
export function usageRollupsOf(platform: Platform, mode: Mode): UsageRollupStore {
  return new UsageRollupStore(platform.db, platform.config.usageTableName, mode);
}
