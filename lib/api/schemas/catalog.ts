import { MAX_INTEGER, MAX_LOOKUP_KEYS, BILLING_SCHEMES, INTERVALS, PRICE_TYPES, TAX_BEHAVIORS, TIERS_MODES, USAGE_TYPES } from '../../catalog/price-model';
import { parseAmountDecimal } from '../../domain/money';
import { MAX_DIMENSION_KEYS, MAX_DIMENSION_VALUE_LENGTH } from '../../domain/dimensions';
import { listParams, p, params, readInteger, readString, refuse } from '../../http/schema';

const NAME = { maxLength: 250 };
const DESCRIPTION = { maxLength: 40_000 };
const UNIT_LABEL = { maxLength: 12 };
const URL_RULE = { maxLength: 5000 };
/** Custom ids become part of a key and of URLs: keep them to URL-safe characters. */
const CUSTOM_ID = { maxLength: 255, pattern: /^[A-Za-z0-9_-]+$/ };
const LOOKUP_KEY = { maxLength: 200 };
const NICKNAME = { maxLength: 5000 };

/** An amount in minor units as an integer. */
const amount = () => p.optionalInteger({ min: 0, max: MAX_INTEGER });

/** An amount in minor units as a decimal string with at most 12 places (`unit_amount_decimal`). */
const amountDecimal = () =>
  p.optional(
    p.custom({ type: 'string', format: 'decimal', description: 'Minor units, at most 12 decimal places' }, (value) => {
      const text = readString(value);
      const parsed = parseAmountDecimal(text);
      if (!parsed || parsed.gt(MAX_INTEGER)) refuse(`Invalid decimal: ${text}. It must be a non-negative number of minor units with at most 12 decimal places.`);
      return parsed;
    }),
  );

/** `up_to`: an integer or `inf` (null). */
const upTo = p.custom({ oneOf: [{ type: 'integer', minimum: 1, maximum: MAX_INTEGER }, { type: 'string', enum: ['inf'] }] }, (value) =>
  value === 'inf' ? null : readInteger(value, { min: 1, max: MAX_INTEGER }),
);

const inlineProduct = {
  name: p.string(NAME),
  active: p.optionalBoolean(),
  metadata: p.metadata(),
  unit_label: p.nullableString(UNIT_LABEL),
};

/** POST /v1/products. */
export const createProduct = params({
  id: p.optionalString(CUSTOM_ID),
  ...inlineProduct,
  description: p.nullableString(DESCRIPTION),
  url: p.nullableString(URL_RULE),
});

/** POST /v1/products/:id. */
export const updateProduct = params({
  name: p.optionalString(NAME),
  active: p.optionalBoolean(),
  description: p.nullableString(DESCRIPTION),
  unit_label: p.nullableString(UNIT_LABEL),
  url: p.nullableString(URL_RULE),
  metadata: p.metadata(),
});

/** GET /v1/products. */
export const listProducts = listParams({ active: p.optionalBoolean() });

/** POST /v1/prices. */
export const createPrice = params({
  currency: p.string(),
  product: p.optionalString(),
  product_data: p.optionalObject(inlineProduct),
  unit_amount: amount(),
  unit_amount_decimal: amountDecimal(),
  recurring: p.optionalObject({
    interval: p.enum(INTERVALS),
    interval_count: p.optionalInteger({ min: 1 }),
    usage_type: p.optionalEnum(USAGE_TYPES),
    meter: p.optionalString(),
    trial_period_days: p.optionalInteger({ min: 0, max: 730 }),
    meter_segment_conditions: p.optionalObjectList(
      { dimension: p.string({ maxLength: 100 }), value: p.string({ maxLength: MAX_DIMENSION_VALUE_LENGTH }) },
      (list) => {
        if (list.length > MAX_DIMENSION_KEYS) refuse(`A price can have at most ${MAX_DIMENSION_KEYS} meter_segment_conditions.`);
      },
    ),
  }),
  billing_scheme: p.optionalEnum(BILLING_SCHEMES),
  tiers_mode: p.optionalEnum(TIERS_MODES),
  tiers: p.optionalObjectList({
    up_to: upTo,
    unit_amount: amount(),
    unit_amount_decimal: amountDecimal(),
    flat_amount: amount(),
    flat_amount_decimal: amountDecimal(),
  }),
  transform_quantity: p.optionalObject({
    divide_by: p.integer({ min: 1, max: MAX_INTEGER }),
    round: p.enum(['up', 'down']),
  }),
  nickname: p.nullableString(NICKNAME),
  lookup_key: p.nullableString(LOOKUP_KEY),
  transfer_lookup_key: p.optionalBoolean(),
  active: p.optionalBoolean(),
  metadata: p.metadata(),
  tax_behavior: p.optionalEnum(TAX_BEHAVIORS),
});

/** POST /v1/prices/:id. */
export const updatePrice = params({
  active: p.optionalBoolean(),
  nickname: p.nullableString(NICKNAME),
  lookup_key: p.nullableString(LOOKUP_KEY),
  transfer_lookup_key: p.optionalBoolean(),
  metadata: p.metadata(),
});

/** GET /v1/prices. */
export const listPrices = listParams({
  active: p.optionalBoolean(),
  product: p.optionalString(),
  currency: p.optionalString(),
  type: p.optionalEnum(PRICE_TYPES),
  recurring: p.optionalObject({
    interval: p.optionalEnum(INTERVALS),
    usage_type: p.optionalEnum(USAGE_TYPES),
    meter: p.optionalString(),
  }),
  lookup_keys: p.optionalStringList(MAX_LOOKUP_KEYS),
});
