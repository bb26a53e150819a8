import type { Route } from '../http/router';
import type { RecordMeterEvents } from '../metering/record-meter-events';
import type { MeterEventSessions } from '../metering/sessions';

/** What the ingest routes of a mode call (nothing else: the ingest function bundles only this). */
export interface IngestServices {
  recordMeterEvents: RecordMeterEvents;
  sessions: Pick<MeterEventSessions, 'create'>;
}

/** The ingest path: meter events, sessions, stream and adjustments. */
export function ingestRoutes(s: IngestServices): Route[] {
  const m = s.recordMeterEvents;
  return [
    { method: 'POST', pattern: '/v1/billing/meter_events', scope: 'meter_events:write', handle: async (c) => ({ body: await m.createV1(c.params, c.principal, c.now) }) },
    { method: 'POST', pattern: '/v2/billing/meter_events', scope: 'meter_events:write', handle: async (c) => ({ body: await m.createV2(c.params, c.principal, c.now) }) },
    {
      method: 'POST',
      pattern: '/v2/billing/meter_event_session',
      scope: 'meter_events:write',
      handle: async (c) => {
        c.params.done();
        return { body: await s.sessions.create(c.principal, c.now) };
      },
    },
    { method: 'POST', pattern: '/v2/billing/meter_event_stream', auth: 'session', handle: async (c) => ({ body: await m.stream(c.params, c.principal, c.now) }) },
    {
      method: 'POST',
      pattern: '/v1/billing/meter_event_adjustments',
      scope: 'meter_events:write',
      handle: async (c) => ({ body: await m.cancel(c.params, c.principal, c.now, 'v1') }),
    },
    {
      method: 'POST',
      pattern: '/v2/billing/meter_event_adjustments',
      scope: 'meter_events:write',
      handle: async (c) => ({ body: await m.cancel(c.params, c.principal, c.now, 'v2') }),
    },
  ];
}
