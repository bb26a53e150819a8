import type { StripeEvent } from './events';

export interface FanOutDeps {
  /** The EventBridge bus; absent where there is none (the local stack). */
  bus?: { publish(events: readonly StripeEvent[]): Promise<void> };
  /** Queues a delivery for every webhook endpoint subscribed to each event. */
  webhooks: { enqueue(events: StripeEvent[], nowMs: number): Promise<void> };
}

/**
 * Hands newly recorded events on: to the event bus and to the webhook endpoints. Fed by the main
 * table's stream, so every event committed with its change goes out, at least once; consumers
 * recognize repeats by the event id, as Stripe asks of webhook receivers.
 */
export function makeFanOut(deps: FanOutDeps) {
  return async function fanOut(events: StripeEvent[], nowMs: number): Promise<void> {
    if (events.length === 0) return;
    await Promise.all([deps.bus?.publish(events), deps.webhooks.enqueue(events, nowMs)]);
  };
}
