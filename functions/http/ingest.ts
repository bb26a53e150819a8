import { ingestRoutes } from '../../lib/api/ingest-routes';
import { loadConfig } from '../../lib/config';
import { makeHttpHandler } from '../../lib/http/handler';
import { createHttpDeps } from '../../lib/wiring/http';
import { meteringStores, recordMeterEventsOf } from '../../lib/wiring/metering';
import { createPlatform, perMode, queueClient } from '../../lib/wiring/platform';

// Only what the ingest routes call: billing, webhooks, credits and documents stay out of this bundle.
const platform = createPlatform(loadConfig());
const sqs = queueClient(platform.config);
const http = createHttpDeps(platform);
const routes = perMode((mode) =>
  ingestRoutes({ sessions: http.sessions, recordMeterEvents: recordMeterEventsOf(platform, meteringStores(platform, mode), sqs) }),
);

/** Meter events, sessions, the v2 stream and adjustments: validated, then queued. */
export const handler = makeHttpHandler(routes, http);
