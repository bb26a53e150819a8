import { loadConfig } from '../../lib/config';
import { makeWebhookDispatcherHandler } from '../../lib/queue/webhook-dispatcher-handler';
import { createPlatform, queueClient } from '../../lib/wiring/platform';
import { webhooksByMode } from '../../lib/wiring/webhooks';

const platform = createPlatform(loadConfig(process.env, { queue: false, webhooks: true }));

/** Webhook deliveries queue consumer: signs and POSTs each event to its endpoint; failed attempts are retried as delayed messages. */
export const handler = makeWebhookDispatcherHandler({ ...platform, of: webhooksByMode(platform, queueClient(platform.config)) });
