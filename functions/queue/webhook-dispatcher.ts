import { loadConfig } from '../../lib/config';
import { makeWebhookDispatcherHandler } from '../../lib/queue/webhook-dispatcher-handler';
import { createServices } from '../../lib/services';

/** Webhook deliveries queue consumer: signs and POSTs each event to its endpoint; failed attempts are retried as delayed messages. */
export const handler = makeWebhookDispatcherHandler(createServices(loadConfig(process.env, { queue: false, webhooks: true })));
