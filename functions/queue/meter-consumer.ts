import { loadConfig } from '../../lib/config';
import { makeMeterConsumerHandler } from '../../lib/queue/meter-consumer-handler';
import { createServices } from '../../lib/services';

/** Meter-events queue consumer: claims and aggregates usage; failed messages stay queued. */
export const handler = makeMeterConsumerHandler(createServices(loadConfig()));
