import type { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue as StreamAttributeValue, DynamoDBStreamEvent } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StripeEvent } from '../events/events';
import { makeFanOut, type FanOutDeps } from '../events/fan-out';
import { isEventKey, type Mode } from '../store/keys';
import { groupByMode } from '../store/modes';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<void>;

export interface EventFanOutHandlerDeps {
  /** The event bus, where there is one. */
  eventBus?: FanOutDeps['bus'];
  /** Each mode's webhooks: an event goes to the endpoints of its own mode. */
  of(mode: Mode): { webhooks: FanOutDeps['webhooks'] };
  nowMs: () => number;
  logger: Pick<Logger, 'debug'>;
}

/** The events a batch of main-table stream records carries: new items under an event key. */
export function eventsIn(stream: DynamoDBStreamEvent): StripeEvent[] {
  return stream.Records.flatMap((record) => {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !isEventKey(image.pk?.S, image.sk?.S)) return [];
    const item = unmarshall(image as Record<string, AttributeValue & StreamAttributeValue>);
    return [item.object as StripeEvent];
  });
}

/**
 * The event fan-out as a Lambda DynamoDB-stream handler. The event source mapping passes only
 * event inserts (its filter), but the handler checks again, so the local stream poller can pass
 * everything. A failure throws: the batch is retried (bisected), so nothing is skipped.
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
    await fanOut(events, deps.nowMs());
    deps.logger.debug('events fanned out', { records: stream.Records.length, events: events.length });
  };
}
