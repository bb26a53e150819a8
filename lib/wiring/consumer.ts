import { AlertStore } from '../alerts/alert-store';
import { UsageAlertEvaluator } from '../alerts/usage-alerts';
import { inFlightMsFor, makeConsumeMeterEvents } from '../metering/consume-meter-events';
import { ErrorReporter } from '../metering/error-reports';
import type { MeteringStores } from './metering';
import type { Platform } from './platform';

/** Test hooks of the consumer. */
export interface ConsumerOptions {
  /** The consumer's crash window, after claims. */
  afterClaims?: () => Promise<void>;
  /** The local stack's start (ms): claims made before it have no live owner (see ConsumerDeps.ownersGoneBeforeMs). */
  ownersGoneBeforeMs?: number;
}

/** The meter-events consumer of one mode: claims, aggregates and evaluates usage alerts in the same transactions. */
export function consumeMeterEventsOf(platform: Platform, stores: MeteringStores, options: ConsumerOptions = {}) {
  return makeConsumeMeterEvents({
    usage: stores.usage,
    directory: stores.directory,
    errors: new ErrorReporter(stores.store),
    inFlightMs: inFlightMsFor(platform.config.consumerTimeoutMs),
    ownersGoneBeforeMs: options.ownersGoneBeforeMs,
    afterClaims: options.afterClaims,
    alerts: new UsageAlertEvaluator(new AlertStore(stores.store), platform.db, platform.config.usageTableName),
  });
}
