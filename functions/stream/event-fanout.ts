import { loadConfig } from '../../lib/config';
import { makeEventFanOutHandler } from '../../lib/queue/event-fanout-handler';
import { eventBusOf } from '../../lib/wiring/events';
import { createPlatform, queueClient } from '../../lib/wiring/platform';
import { webhooksByMode } from '../../lib/wiring/webhooks';

const platform = createPlatform(loadConfig(process.env, { queue: false, webhooks: true }));

/** Main-table stream consumer: publishes each new event to the event bus and queues its webhook deliveries. */
export const handler = makeEventFanOutHandler({ ...platform, eventBus: eventBusOf(platform), of: webhooksByMode(platform, queueClient(platform.config)) });
