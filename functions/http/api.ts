import { apiRoutes } from '../../lib/api/api-routes';
import { loadConfig } from '../../lib/config';
import { makeHttpHandler } from '../../lib/http/handler';
import { createApiServices } from '../../lib/wiring/api';

const services = createApiServices(loadConfig(process.env, { queue: false }));

/** Every /v1 and /v2 route but the ingest path: customers, meters, summaries, reports. */
export const handler = makeHttpHandler(services.perMode(apiRoutes), services.http);
