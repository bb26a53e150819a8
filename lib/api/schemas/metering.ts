import { MAX_IDENTIFIER_LENGTH } from '../../metering/meter-event';
import { MAX_PAYLOAD_BYTES, MAX_STREAM_EVENTS } from '../../metering/record-meter-events';
import { GROUPING_WINDOWS } from '../../domain/time';
import { MAX_DIMENSION_KEYS } from '../../domain/dimensions';
import { p, params, readStringMap, refuse } from '../../http/schema';

/** A meter event's payload: a hash of strings that must fit one queue message on its own (a larger one could never be queued). */
const payload = p.custom({ ...p.stringMapDoc(50), description: `At most ${MAX_PAYLOAD_BYTES / 1024} KB as JSON` }, (value) => {
  const map = readStringMap(value, 50);
  if (Buffer.byteLength(JSON.stringify(map)) > MAX_PAYLOAD_BYTES) refuse(`The payload can be at most ${MAX_PAYLOAD_BYTES / 1024} KB.`);
  return map;
});

const event = {
  event_name: p.string({ maxLength: 100 }),
  payload,
  identifier: p.optionalString({ maxLength: MAX_IDENTIFIER_LENGTH }),
};

/** POST /v1/billing/meter_events: `timestamp` in Unix seconds. */
export const meterEventV1 = params({ ...event, timestamp: p.optionalInteger({ min: 0 }) });

/** POST /v2/billing/meter_events: `timestamp` in RFC 3339. */
export const meterEventV2 = params({ ...event, timestamp: p.optionalString() });

/** POST /v2/billing/meter_event_stream: 1 to 100 events, checked for shape here and validated by the consumer. */
export const meterEventStream = params({
  events: p.objectList({ ...event, timestamp: p.optionalString() }, (list) => {
    if (list.length === 0) refuse('events must be a non-empty array.');
    if (list.length > MAX_STREAM_EVENTS) refuse(`At most ${MAX_STREAM_EVENTS} events per request.`);
  }),
});

/** POST /v1 and /v2 billing/meter_event_adjustments. */
export const cancelMeterEvent = params({
  event_name: p.string({ maxLength: 100 }),
  type: p.enum(['cancel']),
  cancel: p.object({ identifier: p.string({ maxLength: MAX_IDENTIFIER_LENGTH }) }),
});

/** POST /v2/billing/meter_event_session. */
export const createSession = params({});

/** GET /v1/billing/meters/:id/event_summaries (no cursor conflict check: the summary ids order themselves). */
export const meterEventSummaries = params({
  customer: p.string(),
  start_time: p.integer({ min: 0 }),
  end_time: p.integer({ min: 0 }),
  value_grouping_window: p.optionalEnum(GROUPING_WINDOWS),
  limit: p.optionalInteger({ min: 1, max: 100 }),
  starting_after: p.optionalString(),
  ending_before: p.optionalString(),
  dimension_filters: p.stringMap(MAX_DIMENSION_KEYS),
  dimension_group_by_keys: p.optionalStringList(MAX_DIMENSION_KEYS),
});

/** Usage across customers (Meterline extensions, read from the usage rollups). */
export const meterUsageTotals = params({
  start_time: p.integer({ min: 0 }),
  end_time: p.integer({ min: 0 }),
  value_grouping_window: p.optionalEnum(['hour', 'day'] as const),
});

export const usageRanking = params({
  start_time: p.integer({ min: 0 }),
  end_time: p.integer({ min: 0 }),
  limit: p.optionalInteger({ min: 1, max: 100 }),
});

/** GET /v1/billing/analytics/meter_usage: one customer, up to 10 meters, each with its own dimension filters and group-by keys. */
export const meterUsageAnalytics = params({
  customer: p.string(),
  starts_at: p.integer({ min: 0 }),
  ends_at: p.integer({ min: 0 }),
  value_grouping_window: p.optionalEnum(['hour', 'day'] as const),
  meters: p.objectList(
    {
      meter: p.string(),
      dimension_filters: p.stringMap(MAX_DIMENSION_KEYS),
      dimension_group_by_keys: p.optionalStringList(MAX_DIMENSION_KEYS),
    },
    (list) => {
      if (list.length === 0) refuse('meters must list at least one meter.');
      if (list.length > 10) refuse('meters can list at most 10 meters.');
    },
  ),
});
