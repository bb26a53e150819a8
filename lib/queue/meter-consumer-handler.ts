import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Services } from '../services';
import { toBatchResponse, toQueueRecords } from './sqs-batch';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The meter-events consumer as a Lambda SQS handler with partial batch responses. */
export function makeMeterConsumerHandler(services: Services): SqsHandler {
  return async (event) => {
    const result = await services.consumeMeterEvents(toQueueRecords(event), services.nowMs());
    services.logger.debug('meter events consumed', { ...result.counts, failed: result.failedMessageIds.length });
    return toBatchResponse(result.failedMessageIds);
  };
}
