import { MAX_DIMENSION_KEYS } from '../../domain/dimensions';
import { alertTypes } from '../../alerts/model';
import { isCurrency } from '../../domain/money';
import { listParams, p, params, readInteger, readString, refuse, refuseMissing, withRule } from '../../http/schema';

/** At most one filter, of type `customer`. */
const filters = p.optionalObjectList({ type: p.enum(['customer']), customer: p.string() }, (list) => {
  if (list.length > 1) refuse('Only one filter is allowed per alert.');
});

const currency = p.custom({ type: 'string', description: 'ISO 4217 code' }, (value) => {
  if (value === '') refuseMissing();
  const code = readString(value).toLowerCase();
  if (!isCurrency(code)) refuse(`Invalid currency: ${code}`);
  return code;
});

/** POST /v1/billing/alerts: the threshold object of `alert_type`, never the other one. */
export const createAlert = withRule(
  params({
    title: p.string({ maxLength: 256 }),
    alert_type: p.enum(alertTypes),
    usage_threshold: p.optionalObject({
      gte: p.custom({ type: 'integer', minimum: 1 }, (value) => {
        const gte = readInteger(value);
        if (gte <= 0) refuse('Invalid gte: must be greater than 0');
        return gte;
      }),
      meter: p.string(),
      recurrence: p.enum(['one_time']),
      filters,
      dimension_filters: p.stringMap(MAX_DIMENSION_KEYS),
    }),
    credit_balance_threshold: p.optionalObject({
      filters,
      lte: p.object({ balance_type: p.enum(['monetary']), monetary: p.object({ currency, value: p.integer({ min: 0 }) }) }),
    }),
  }),
  (command) => {
    const type = command.alert_type;
    const other = type === 'usage_threshold' ? 'credit_balance_threshold' : 'usage_threshold';
    if (command[other] !== undefined) return { key: other, message: `${other} cannot be used with alert_type=${type}; pass ${type} instead.` };
    if (command[type] === undefined) return { key: type, message: 'missing' };
    return undefined;
  },
);

/** GET /v1/billing/alerts. */
export const listAlerts = listParams({ alert_type: p.optionalEnum(alertTypes), meter: p.optionalString() });
