import { loadConfig } from '../../lib/config';
import { makeEventFanOutHandler } from '../../lib/queue/event-fanout-handler';
import { createServices } from '../../lib/services';

/** Main-table stream consumer: publishes each new event to the event bus and queues its webhook deliveries. */
export const handler = makeEventFanOutHandler(createServices(loadConfig(process.env, { queue: false, webhooks: true })));
