import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Config } from './config';
import { apiModeServices, servicesOf, type ApiModeServices, type ApiOptions } from './wiring/api';
import { hostedInvoicesOf } from './wiring/documents';
import { eventBusOf } from './wiring/events';
import { createHttpDeps } from './wiring/http';
import { consumeMeterEventsOf, type ConsumerOptions } from './wiring/consumer';
import { recordMeterEventsOf } from './wiring/metering';
import { createPlatform, queueClient } from './wiring/platform';

export interface ServiceOptions extends ApiOptions, ConsumerOptions {
  /** The EventBridge client events are published with (where the configuration names a bus). */
  eventBridge?: EventBridgeClient;
}

/** Every repository and use case of one mode that the API routes call (lib/api). */
export type ModeServices = ApiModeServices;

/** Every repository and use case of one mode: the api's, and the ingest path's and the consumer's. */
export type StackModeServices = ApiModeServices & {
  recordMeterEvents: ReturnType<typeof recordMeterEventsOf>;
  consumeMeterEvents: ReturnType<typeof consumeMeterEventsOf>;
};

/**
 * The composition root of the whole stack in one process (the local stack, tests and benches):
 * every repository and use case, once per mode (test and live are separate worlds, as in Stripe),
 * and what the modes share (API keys, idempotency records, meter event sessions). Each Lambda
 * function wires only what it runs instead (functions/, lib/wiring/); this is built from the
 * same pieces.
 */
export function createServices(config: Config, options: ServiceOptions = {}) {
  const platform = createPlatform(config, options);
  const sqs = queueClient(config, options.sqs);
  const http = createHttpDeps(platform);
  const services = servicesOf(platform, sqs, http, (mode): StackModeServices => {
    const api = apiModeServices(platform, http, sqs, mode, options);
    return { ...api, recordMeterEvents: recordMeterEventsOf(platform, api, sqs), consumeMeterEvents: consumeMeterEventsOf(platform, api, options) };
  });
  return {
    ...services,
    eventBus: eventBusOf(platform, options.eventBridge),
    /** Finalized invoices by their hosted token (a token names its mode). */
    hostedInvoices: hostedInvoicesOf(platform, { test: services.test.store, live: services.live.store }),
  };
}

export type Services = ReturnType<typeof createServices>;
