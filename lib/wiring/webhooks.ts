import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ObjectStore } from '../store/objects';
import { createWebhooks } from '../webhooks/webhooks';
import { objectStore, ofMode, type Platform } from './platform';

/** The webhooks of one mode: endpoints, resends, the enqueue of deliveries and the dispatcher. */
export function webhooksOf(
  platform: Platform,
  store: ObjectStore,
  sqs: SQSClient,
  /** How long a receiver may take to answer (default webhookDelivery.timeoutMs, 10 s); tests shorten it. */
  timeoutMs?: number,
) {
  const { config, nowMs, logger } = platform;
  return createWebhooks({
    objects: store,
    sqs,
    queueUrl: config.webhookDeliveriesQueueUrl,
    firstRetrySeconds: config.webhookFirstRetrySeconds,
    privateTestUrls: config.webhookPrivateTestUrls,
    timeoutMs,
    nowMs,
    logger,
  });
}

/** Each mode's webhooks, for the functions that only deliver them (the event fan-out, the dispatcher). */
export function webhooksByMode(platform: Platform, sqs: SQSClient) {
  return ofMode((mode) => ({ webhooks: webhooksOf(platform, objectStore(platform, mode), sqs) }));
}
