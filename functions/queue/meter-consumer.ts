import { loadConfig } from '../../lib/config';
import { makeMeterConsumerHandler } from '../../lib/queue/meter-consumer-handler';
import { consumeMeterEventsOf } from '../../lib/wiring/consumer';
import { meteringStores } from '../../lib/wiring/metering';
import { createPlatform, ofMode, queueClient } from '../../lib/wiring/platform';

// Only the consumer and the usage alerts it evaluates: no billing, webhooks or documents.
const platform = createPlatform(loadConfig());
const of = ofMode((mode) => ({ consumeMeterEvents: consumeMeterEventsOf(platform, meteringStores(platform, mode)) }));

/** Meter-events queue consumer: claims and aggregates usage; failed messages stay queued. */
export const handler = makeMeterConsumerHandler({ ...platform, sqs: queueClient(platform.config), of });
