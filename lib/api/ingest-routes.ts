import { route, type Route } from '../http/router';
import type { RecordMeterEvents } from '../metering/record-meter-events';
import type { MeterEventSessions } from '../metering/sessions';
import * as schemas from './schemas/metering';

/** What the ingest routes of a mode call (nothing else: the ingest function bundles only this). */
export interface IngestServices {
  recordMeterEvents: RecordMeterEvents;
  sessions: Pick<MeterEventSessions, 'create'>;
}

/** The ingest path: meter events, sessions, stream and adjustments. */
export function ingestRoutes(s: IngestServices): Route[] {
  const m = s.recordMeterEvents;
  const write = { scope: 'meter_events:write' } as const;
  return [
    route('POST', '/v1/billing/meter_events', schemas.meterEventV1, (command, c) => m.createV1(command, c.principal, c.now), write),
    route('POST', '/v2/billing/meter_events', schemas.meterEventV2, (command, c) => m.createV2(command, c.principal, c.now), write),
    route('POST', '/v2/billing/meter_event_session', schemas.createSession, (_, c) => s.sessions.create(c.principal, c.now), write),
    route('POST', '/v2/billing/meter_event_stream', schemas.meterEventStream, (command, c) => m.stream(command, c.principal, c.now), { auth: 'session' }),
    route('POST', '/v1/billing/meter_event_adjustments', schemas.cancelMeterEvent, (command, c) => m.cancel(command, c.principal, c.now, 'v1'), write),
    route('POST', '/v2/billing/meter_event_adjustments', schemas.cancelMeterEvent, (command, c) => m.cancel(command, c.principal, c.now, 'v2'), write),
  ];
}
