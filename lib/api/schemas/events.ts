import { listParams, p, params } from '../../http/schema';

/** GET /v1/events. */
export const listEvents = listParams({
  type: p.optionalString({ maxLength: 100 }),
  types: p.optionalStringList(20),
  created: p.optionalRange(),
});

/** GET /v2/core/events (Stripe's thin v2 events: Meterline's asynchronous validation reports). */
export const listV2Events = params({
  object_id: p.optionalString(),
  limit: p.optionalInteger({ min: 1, max: 100 }),
  page: p.optionalString(),
});
