import { ingestRoutes } from '../../lib/api/ingest-routes';
import { loadConfig } from '../../lib/config';
import { makeHttpHandler } from '../../lib/http/handler';
import { createServices } from '../../lib/services';

const services = createServices(loadConfig());

/** Meter events, sessions, the v2 stream and adjustments: validated, then queued. */
export const handler = makeHttpHandler(services.perMode(ingestRoutes), services.http);
