import { HOUR, MINUTE } from '../domain/time';
import type { ErrorReporter } from './error-reports';
import type { MeterQueueMessage } from './meter-event';
import type { UsageStore } from './usage-store';
import type { UsageContributor } from './usage-contributor';

export type CancelMessage = Extract<MeterQueueMessage, { type: 'cancel' }>;
export type CancelOutcome = 'cancelled' | 'duplicate' | 'rejected' | 'retry';

export interface CancelDeps {
  usage: UsageStore;
  errors: ErrorReporter;
  /** Claims younger than this may still be applied by a live consumer invocation. */
  inFlightMs: number;
  /** Usage alert evaluation: a cancelled event stops counting towards the alerts that have not fired. */
  alerts?: UsageContributor;
}

/** How long a cancel waits for its event to arrive before it is reported as not found. */
const EVENT_ARRIVAL_SECONDS = 10 * MINUTE;

/**
 * Applies a cancel adjustment exactly once: the claim is flagged and its contribution removed in
 * one transaction. 'retry' when the event is not settled yet (still queued, or claimed by an
 * invocation that may be running); rejected adjustments go to the error reports.
 */
export function makeCancelMeterEvent(deps: CancelDeps) {
  return async function cancel(message: CancelMessage, nowMs: number): Promise<CancelOutcome> {
    const nowSeconds = Math.floor(nowMs / 1000);
    const reject = async (code: string) => {
      await deps.errors.reportAdjustment(message, code, nowMs);
      return 'rejected' as const;
    };
    const claim = await deps.usage.getClaim(message.identifier);
    if (!claim) {
      return nowSeconds - message.received < EVENT_ARRIVAL_SECONDS ? 'retry' : reject('meter_event_adjustment_event_not_found');
    }
    if (claim.cancelled !== undefined) return 'duplicate';
    if (claim.eventName !== message.event_name) return reject('meter_event_adjustment_event_name_mismatch');
    if (message.received - claim.received > 24 * HOUR) return reject('meter_event_adjustment_too_late');
    const applied = (await deps.usage.appliedChunks([claim.chunk])).has(claim.chunk);
    if (!applied && nowMs - claim.claimedMs <= deps.inFlightMs) return 'retry';
    // `last` values are cleared rather than subtracted (an alert fired on one stays fired);
    // never-applied claims are only flagged.
    const done =
      applied && claim.formula !== 'last'
        ? await deps.usage.cancelApplied(claim, nowSeconds, (await deps.alerts?.cancelWrites(claim)) ?? [])
        : await deps.usage.cancelUnapplied(claim, nowSeconds);
    if (done) return 'cancelled';
    // Lost a race: to a twin delivery of this cancel (then it is done), or to a change of the
    // claim or of the meter's alerts (then it is tried again later).
    return (await deps.usage.getClaim(message.identifier))?.cancelled !== undefined ? 'duplicate' : 'retry';
  };
}
