import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBus } from '../store/resources';
import type { StripeEvent } from './events';
import { stripeJson } from '../domain/stripe-shapes';

/** PutEvents takes at most 10 entries. */
const ENTRIES_PER_CALL = 10;
/** Entries EventBridge refused for a passing reason (throttling, an internal error) are put again this often. */
const ATTEMPTS = 3;

/** The bus entry of an event: `source` meterline, `detail-type` the event type, `detail` the event itself. */
export function busEntry(busName: string, event: StripeEvent): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: eventBus.source,
    DetailType: event.type,
    Detail: stripeJson(event),
    Time: new Date(event.created * 1000),
    // Rules can match the object, e.g. every event of one customer.
    Resources: [],
  };
}

/**
 * Publishes events to the custom EventBridge bus, so that AWS users can route them with rules
 * (`{"source": ["meterline"], "detail-type": ["invoice.finalized"]}`).
 */
export class EventBusPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  /** Puts every event on the bus; throws when some could not be put after a few attempts (the stream then retries the batch). */
  async publish(events: readonly StripeEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
      let entries = events.slice(i, i + ENTRIES_PER_CALL).map((event) => busEntry(this.busName, event));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
        if (!out.FailedEntryCount) break;
        const failed = entries.filter((_, j) => out.Entries?.[j]?.ErrorCode);
        if (attempt === ATTEMPTS) {
          const reasons = [...new Set(out.Entries?.flatMap((e) => (e.ErrorCode ? [`${e.ErrorCode}: ${e.ErrorMessage}`] : [])))];
          throw new Error(`EventBridge refused ${failed.length} event(s): ${reasons.join('; ')}`);
        }
        entries = failed;
      }
    }
  }
}
