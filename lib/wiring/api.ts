import type { SQSClient } from '@aws-sdk/client-sqs';
import { createAlerts } from '../alerts/alerts';
import type { Step } from '../billing/advance-subscription';
import type { Config } from '../config';
import type { Mode } from '../store/keys';
import { billingOf, catalogOf } from './billing';
import { createHttpDeps, type HttpWiring } from './http';
import { meteringStores } from './metering';
import { createPlatform, perMode, queueClient, type Platform, type PlatformOptions } from './platform';
import { usageRollupsOf } from './rollups';
import { webhooksOf } from './webhooks';

export interface ApiOptions extends PlatformOptions {
  sqs?: SQSClient;
  /** Test hook for the billing worker's crash window (after a step is built, before it commits). */
  beforeBillingCommit?: (step: Step) => Promise<void>;
  /** How long a webhook receiver may take to answer (default webhookDelivery.timeoutMs, 10 s); tests shorten it. */
  webhookTimeoutMs?: number;
}

/**
 * Every repository and use case of one mode that the API routes call. Each store is built for its
 * mode's keys, so nothing here can read, list, reference or count an object of the other mode.
 */
export function apiModeServices(platform: Platform, http: HttpWiring, sqs: SQSClient, mode: Mode, options: ApiOptions) {
  const stores = meteringStores(platform, mode);
  const catalog = catalogOf(stores);
  return {
    ...stores,
    ...catalog,
    /** Usage across customers, kept from the usage table's stream (the console's charts). */
    rollups: usageRollupsOf(platform, mode),
    sessions: http.sessions,
    alerts: createAlerts({ objects: stores.store, meters: stores.meters, customers: catalog.customers, nowMs: platform.nowMs }),
    billing: billingOf(platform, stores, catalog, sqs, options.beforeBillingCommit),
    webhooks: webhooksOf(platform, stores.store, sqs, options.webhookTimeoutMs),
  };
}

export type ApiModeServices = ReturnType<typeof apiModeServices>;

/** A function's services: what both modes share, and each mode's own (`build`). */
export function servicesOf<M>(platform: Platform, sqs: SQSClient, http: HttpWiring, build: (mode: Mode) => M) {
  const modes = perMode(build);
  return {
    ...platform,
    sqs,
    http,
    apiKeys: http.apiKeys,
    sessions: http.sessions,
    test: modes.test,
    live: modes.live,
    /** The services of a mode. */
    of: (mode: Mode): M => modes[mode],
    /** Something built once per mode from that mode's services (a route table). */
    perMode: <T>(each: (s: M) => T): Record<Mode, T> => ({ test: each(modes.test), live: each(modes.live) }),
  };
}

/** The api function's services: every route but the ingest path's, for both modes. */
export function createApiServices(config: Config, options: ApiOptions = {}) {
  const platform = createPlatform(config, options);
  const sqs = queueClient(config, options.sqs);
  const http = createHttpDeps(platform);
  return servicesOf(platform, sqs, http, (mode) => apiModeServices(platform, http, sqs, mode, options));
}
