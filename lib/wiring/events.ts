import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBusPublisher } from '../events/event-bus';
import type { Platform } from './platform';

/** The EventBridge bus every event is published to, where the configuration names one. */
export function eventBusOf(platform: Platform, given?: EventBridgeClient): EventBusPublisher | undefined {
  const { eventBusName, region } = platform.config;
  return eventBusName ? new EventBusPublisher(given ?? new EventBridgeClient({ region }), eventBusName) : undefined;
}
