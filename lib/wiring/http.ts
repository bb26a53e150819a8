import { ApiKeys } from '../auth/api-keys';
import type { HttpDeps } from '../http/handler';
import { IdempotencyStore } from '../http/idempotency';
import { MeterEventSessions } from '../metering/sessions';
import type { Platform } from './platform';

/** What every HTTP function authenticates with (API keys, meter event sessions) and replays POSTs from; shared by both modes. */
export function createHttpDeps(platform: Platform) {
  const { db, config, nowMs, logger } = platform;
  const apiKeys = new ApiKeys(db, config.mainTableName);
  const sessions = new MeterEventSessions(db, config.mainTableName, apiKeys);
  return { apiKeys, sessions, idempotency: new IdempotencyStore(db, config.mainTableName), nowMs, logger } satisfies HttpDeps;
}

export type HttpWiring = ReturnType<typeof createHttpDeps>;
