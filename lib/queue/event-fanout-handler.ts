import type { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue as StreamAttributeValue, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StripeEvent } from '../events/events';
import { makeFanOut, type FanOutDeps } from '../events/fan-out';
import { isEventKey, isResendKey, type Mode } from '../store/keys';
import { groupByMode } from '../store/modes';
import type { WebhookResend } from '../webhooks/model';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<void>;

export interface EventFanOutHandlerDeps {
  /** The event bus, where there is one. */
  eventBus?: FanOutDeps['bus'];
  /** Each mode's webhooks: an event goes to the endpoints of its own mode, a resend to the endpoint it names. */
  of(mode: Mode): { webhooks: FanOutDeps['webhooks'] & { enqueueResends(resends: readonly WebhookResend[], nowMs: number): Promise<void> } };
  nowMs: () => number;
  logger: Pick<Logger, 'debug'>;
}

/** The objects of the items a batch of main-table stream records inserts under keys that `isKey` accepts. */
function insertedUnder<T>(stream: DynamoDBStreamEvent, isKey: (pk: string | undefined, sk: string | undefined) => boolean): T[] {
  return stream.Records.flatMap((record) => {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !isKey(image.pk?.S, image.sk?.S)) return [];
    const item = unmarshall(image as Record<string, AttributeValue & StreamAttributeValue>);
    return [item.object as T];
  });
}

/** The events a batch of main-table stream records carries: new items under an event key. */
export function eventsIn(stream: DynamoDBStreamEvent): StripeEvent[] {
  return insertedUnder<StripeEvent>(stream, isEventKey);
}

/** The webhook resends a batch carries: new items under a resend key (in an event's partition, so the stream's filter passes them). */
export function resendsIn(stream: DynamoDBStreamEvent): WebhookResend[] {
  return insertedUnder<WebhookResend>(stream, isResendKey);
}

/**
 * The event fan-out as a Lambda DynamoDB-stream handler. The event source mapping passes only
 * inserts under event partitions (its filter): events, and resends, whose one delivery it queues.
 * The handler checks the keys again, so the local stream poller can pass everything. A failure
 * throws: the batch is retried (bisected), so nothing is skipped.
 */
export function makeEventFanOutHandler(deps: EventFanOutHandlerDeps): StreamHandler {
  const fanOut = makeFanOut({
    bus: deps.eventBus,
    webhooks: {
      enqueue: async (events, nowMs) => {
        for (const [mode, group] of groupByMode(events, (event) => event.livemode)) await deps.of(mode).webhooks.enqueue(group, nowMs);
      },
    },
  });
  return async (stream) => {
    const events = eventsIn(stream);
    const resends = resendsIn(stream);
    const nowMs = deps.nowMs();
    await Promise.all([
      fanOut(events, nowMs),
      ...groupByMode(resends, (resend) => resend.livemode).map(([mode, group]) => deps.of(mode).webhooks.enqueueResends(group, nowMs)),
    ]);
    deps.logger.debug('events fanned out', { records: stream.Records.length, events: events.length, resends: resends.length });
  };
}
