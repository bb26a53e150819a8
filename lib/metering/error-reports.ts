import { eventPut } from '../events/events';
import { newId } from '../domain/ids';
import { groupBy } from '../domain/collections';
import type { ObjectStore } from '../store/objects';
import type { MeterEventError, MeterQueueMessage, RawMeterEvent } from './meter-event';

const SAMPLES_PER_CODE = 5;

/** Stripe's thin v2 event for meter events that failed asynchronous validation. */
export interface MeterErrorReport {
  id: string;
  object: 'v2.core.event';
  type: 'v1.billing.meter.error_report_triggered' | 'v1.billing.meter.no_meter_found';
  created: string;
  livemode: boolean;
  related_object: { id: string; type: 'billing.meter'; url: string } | null;
  data: {
    developer_message_summary: string;
    reason: {
      error_count: number;
      error_types: { code: string; error_count: number; sample_errors: { error_message: string; request: { identifier: string } }[] }[];
    };
    validation_start: string;
    validation_end: string;
  };
}

interface Failure {
  identifier: string;
  code: string;
  message: string;
}

/** The list filter that finds the reports of one meter (`object_id`). */
export const NO_METER = 'none';

/**
 * Counts asynchronous validation failures: one report per meter per consumer batch, with the
 * count of each error code and a few sample identifiers, listed by GET /v2/core/events.
 */
export class ErrorReporter {
  constructor(private readonly store: ObjectStore) {}

  async report(failures: { event: RawMeterEvent; error: MeterEventError; meterId?: string }[], nowMs: number): Promise<void> {
    const byMeter = groupBy(failures, (f) => f.meterId ?? NO_METER);
    await Promise.all(
      [...byMeter].map(([meterId, list]) =>
        this.write(meterId, list.map(({ event, error }) => ({ identifier: event.identifier, code: error.code, message: error.message })), nowMs),
      ),
    );
  }

  async reportAdjustment(message: Extract<MeterQueueMessage, { type: 'cancel' }>, code: string, nowMs: number): Promise<void> {
    await this.write(NO_METER, [{ identifier: message.identifier, code, message: `Cancel of '${message.identifier}' for '${message.event_name}' was rejected: ${code}.` }], nowMs);
  }

  private async write(meterId: string, failures: Failure[], nowMs: number): Promise<void> {
    const byCode = groupBy(failures, (f) => f.code);
    const now = new Date(nowMs).toISOString();
    const report: MeterErrorReport = {
      id: newId('event', nowMs),
      object: 'v2.core.event',
      type: meterId === NO_METER ? 'v1.billing.meter.no_meter_found' : 'v1.billing.meter.error_report_triggered',
      created: now,
      livemode: this.store.mode === 'live',
      related_object: meterId === NO_METER ? null : { id: meterId, type: 'billing.meter', url: `/v1/billing/meters/${meterId}` },
      data: {
        developer_message_summary: `${failures.length} meter event${failures.length === 1 ? '' : 's'} failed validation.`,
        reason: {
          error_count: failures.length,
          error_types: [...byCode].map(([code, list]) => ({
            code,
            error_count: list.length,
            sample_errors: list.slice(0, SAMPLES_PER_CODE).map((f) => ({ error_message: f.message, request: { identifier: f.identifier } })),
          })),
        },
        validation_start: now,
        validation_end: now,
      },
    };
    // The v1 events API and webhooks carry the report too (Stripe sends it only as a thin event).
    const event = eventPut(this.store.tableName, { type: report.type.slice('v1.'.length), object: report, created: Math.floor(nowMs / 1000), nowMs });
    await this.store.create('v2_event', report, { name: 'object_id', value: meterId }, undefined, [event]);
  }
}
