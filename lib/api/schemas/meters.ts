import { EVENT_TIME_WINDOWS, formulas, METER_STATUSES } from '../../meters/meters';
import { MAX_DIMENSION_KEYS } from '../../domain/dimensions';
import { listParams, p, params } from '../../http/schema';

const PAYLOAD_KEY = { maxLength: 100, pattern: /^[A-Za-z0-9_.-]+$/ };
const EVENT_NAME = { maxLength: 100, pattern: /^[A-Za-z0-9_.:-]+$/ };

/** POST /v1/billing/meters. */
export const createMeter = params({
  display_name: p.string({ maxLength: 250 }),
  event_name: p.string(EVENT_NAME),
  default_aggregation: p.object({ formula: p.enum(formulas) }),
  customer_mapping: p.optionalObject({ event_payload_key: p.string(PAYLOAD_KEY), type: p.enum(['by_id']) }),
  value_settings: p.optionalObject({ event_payload_key: p.string(PAYLOAD_KEY) }),
  event_time_window: p.optionalEnum(EVENT_TIME_WINDOWS),
  dimension_payload_keys: p.optionalStringList(MAX_DIMENSION_KEYS, PAYLOAD_KEY),
});

/** POST /v1/billing/meters/:id. */
export const updateMeter = params({ display_name: p.optionalString({ maxLength: 250 }) });

/** GET /v1/billing/meters. */
export const listMeters = listParams({ status: p.optionalEnum(METER_STATUSES) });
