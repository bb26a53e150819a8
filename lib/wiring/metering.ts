import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueuePublisher } from '../messaging/publisher';
import { Meters } from '../meters/meters';
import { Directory } from '../metering/directory';
import { makeRecordMeterEvents } from '../metering/record-meter-events';
import { UsageStore } from '../metering/usage-store';
import type { Mode } from '../store/keys';
import { objectStore, type Platform } from './platform';

/** The stores of one mode that meter events are checked against and counted in. */
export function meteringStores(platform: Platform, mode: Mode) {
  const store = objectStore(platform, mode);
  const meters = new Meters(store);
  return {
    mode,
    store,
    usage: new UsageStore(platform.db, platform.config.usageTableName, mode),
    meters,
    directory: new Directory(store, meters),
  };
}

export type MeteringStores = ReturnType<typeof meteringStores>;

/** The ingest use cases of one mode: validated events go to the meter-events queue (where one is configured). */
export function recordMeterEventsOf(platform: Platform, stores: MeteringStores, sqs: SQSClient) {
  const queueUrl = platform.config.meterEventsQueueUrl;
  return makeRecordMeterEvents({
    directory: stores.directory,
    publisher: queueUrl ? new QueuePublisher(sqs, queueUrl) : undefined,
    usage: stores.usage,
    nowMs: platform.nowMs,
  });
}
