import { createHash } from 'node:crypto';

/*
 * Dimensions of a meter (`dimension_payload_keys`): the values a meter event's payload carries
 * for them form the event's combination, e.g. {model: 'gpt-large', token_type: 'input'}. Usage
 * is kept per combination beside the meter's total, so summaries, analytics and prices can
 * filter and group by dimension values.
 */

/** A combination of dimension values; a key without a value is absent. */
export type Dimensions = Readonly<Record<string, string>>;

/** A meter has at most 10 dimension keys. */
export const MAX_DIMENSION_KEYS = 10;
/** A dimension value is at most 100 characters. */
export const MAX_DIMENSION_VALUE_LENGTH = 100;
/**
 * At most 20 distinct combinations per meter, customer and hour: each lives on the customer's
 * hourly usage item, which stays small enough to write cheaply. An event that would add a 21st
 * is refused with an error report (`dimension_combinations_exceeded`), never dropped silently.
 */
export const MAX_COMBINATIONS_PER_HOUR = 20;

/** The canonical text of a combination: its entries sorted by key, as JSON (what is stored). */
export function combinationKey(dimensions: Dimensions): string {
  return JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The combination a canonical text stands for. */
export function parseCombinationKey(key: string): Dimensions {
  return Object.fromEntries(JSON.parse(key) as [string, string][]);
}

/** A short, stable id of a combination (8 base64url characters of its SHA-256): its attributes' names. */
export function combinationId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/**
 * The value of `key` in a combination, if it has one. Keys are payload keys, which may be named
 * like Object members (`constructor`, `__proto__`): only the combination's own entries count.
 */
export function dimensionValue(dimensions: Dimensions, key: string): string | undefined {
  return Object.hasOwn(dimensions, key) ? dimensions[key] : undefined;
}

/** A combination of these entries (built without assignments, so any key is an own entry). */
export function dimensionsOf(entries: Iterable<readonly [string, string]>): Dimensions {
  return Object.fromEntries(entries);
}

/** Whether a combination has every value `filters` asks for. */
export function matchesFilters(dimensions: Dimensions, filters: Dimensions): boolean {
  return Object.entries(filters).every(([key, value]) => dimensionValue(dimensions, key) === value);
}

/** The part of a combination that names its group when grouping by `keys` (keys without a value left out). */
export function groupOf(dimensions: Dimensions, keys: readonly string[]): Dimensions {
  return dimensionsOf(keys.flatMap((key) => (Object.hasOwn(dimensions, key) ? [[key, dimensions[key]!] as const] : [])));
}

/** 'model: gpt-large, token_type: input': how descriptions and the console name a combination. */
export function describeDimensions(dimensions: Dimensions): string {
  return Object.entries(dimensions)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
}
