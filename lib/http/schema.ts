/**
 * The schema layer at the HTTP edge: each operation declares its parameters once, with valibot,
 * and `parseParams` turns the decoded form or JSON body into a typed command. The fields below
 * read parameters the way Stripe does (form bodies send every scalar as a string, lists as
 * index-keyed hashes, '' to clear a value) and `stripeError` is the one place where a schema
 * issue becomes Stripe's error (`invalid_request_error`, a bracket `param` such as
 * `tiers[1][up_to]`). Each field also carries the JSON Schema it documents (see openApiSchema).
 */
import * as v from 'valibot';
import { InvalidRequestError, MissingParameterError, UnknownParameterError } from '../errors';
import { METADATA_LIMITS, type MetadataUpdate } from '../domain/metadata';
import type { CreatedRange, PageQuery } from '../store/objects';

/** A JSON Schema fragment, as the OpenAPI document shows a parameter. */
export type JsonSchema = Record<string, unknown>;

/** Any schema of this layer: unknown input, a typed command out. */
export type ParamsSchema<T = unknown> = v.GenericSchema<unknown, T>;

/** The command a schema produces. */
export type CommandOf<S extends ParamsSchema> = v.InferOutput<S>;

type Raw = Record<string, unknown>;
type Key = string | number;

/** The issue message of a required parameter that is absent or empty. */
const MISSING = 'parameter_missing';
/** The issue message of a parameter this request does not take (in this combination). */
const UNKNOWN = 'parameter_unknown';
/** Replaced, in the one place below, by the parameter's own name (`Invalid {name}: ...`). */
const NAME = '{name}';

/** A refusal inside a field: its message, and where below the field it points (a metadata key). */
class Refusal {
  constructor(
    readonly message: string,
    readonly at: Key[] = [],
  ) {}
}

/** Inside a custom field: "Missing required param" (an empty value where one is required). */
export function refuseMissing(): never {
  throw new Refusal(MISSING);
}

/** Inside a custom field: refuses its value with `message` (`{name}` is the parameter's name). */
export function refuse(message: string): never {
  throw new Refusal(message);
}

/** A leaf field: a read function from the raw value (which throws a Refusal) and its documentation. */
function field<T>(doc: JsonSchema, read: (value: unknown) => T) {
  return v.pipe(
    v.unknown(),
    v.rawTransform<unknown, T>(({ dataset, addIssue, NEVER }) => {
      try {
        return read(dataset.value);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        const path = error.at.map((key) => ({ type: 'object' as const, origin: 'value' as const, input: dataset.value as Raw, key: String(key), value: undefined }));
        addIssue({ message: error.message, ...(path.length ? { path: path as [typeof path[0], ...typeof path] } : {}) });
        return NEVER;
      }
    }),
    v.metadata({ doc }),
  );
}

/** A field the caller may leave out (then undefined). */
function optional<T>(schema: ParamsSchema<T>) {
  return v.optional(schema);
}

interface StringRule {
  maxLength?: number;
  oneOf?: readonly string[];
  pattern?: RegExp;
}

interface IntegerRule {
  min?: number;
  max?: number;
}

function stringDoc(rule: StringRule): JsonSchema {
  return {
    type: 'string',
    ...(rule.maxLength !== undefined ? { maxLength: rule.maxLength } : {}),
    ...(rule.oneOf ? { enum: [...rule.oneOf] } : {}),
    ...(rule.pattern ? { pattern: rule.pattern.source } : {}),
  };
}

/** A string under `rule`; refuses with Stripe's messages. */
export function readString(value: unknown, rule: StringRule = {}): string {
  if (typeof value !== 'string') throw new Refusal(`Invalid string: ${JSON.stringify(value)}`);
  if (rule.maxLength !== undefined && value.length > rule.maxLength) {
    throw new Refusal(`Invalid ${NAME}: must be at most ${rule.maxLength} characters`);
  }
  if (rule.oneOf && !rule.oneOf.includes(value)) throw new Refusal(`Invalid ${NAME}: must be one of ${rule.oneOf.join(', ')}`);
  if (rule.pattern && !rule.pattern.test(value)) throw new Refusal(`Invalid ${NAME}: ${JSON.stringify(value)}`);
  return value;
}

function integerDoc(rule: IntegerRule): JsonSchema {
  return { type: 'integer', ...(rule.min !== undefined ? { minimum: rule.min } : {}), ...(rule.max !== undefined ? { maximum: rule.max } : {}) };
}

/** An integer as JSON sends it, or as a form does (a string of digits). */
export function readInteger(value: unknown, rule: IntegerRule = {}): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Refusal(`Invalid integer: ${String(value)}`);
  }
  const n = Number(text);
  if ((rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
    const bounds = [rule.min !== undefined ? `at least ${rule.min}` : '', rule.max !== undefined ? `at most ${rule.max}` : ''].filter(Boolean).join(' and ');
    throw new Refusal(`Invalid ${NAME}: must be ${bounds}`);
  }
  return n;
}

/** A list as JSON sends it, or as form bodies do (an index-keyed hash); undefined for a scalar. */
function listOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  return typeof value === 'object' && value !== null ? Object.values(value) : undefined;
}

/** The parameters of one object: exactly `entries` (and Stripe's `expand`, accepted everywhere); anything else is unknown. */
function shape<E extends v.ObjectEntries>(entries: E) {
  return v.strictObject({ ...entries, expand: v.optional(v.unknown()) });
}

function asObject(nullable: boolean) {
  return v.rawTransform<unknown, Raw | null>(({ dataset, addIssue, NEVER }) => {
    const value = dataset.value;
    if (value === '' && nullable) return null;
    if (value === undefined || value === '') return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      addIssue({ message: 'Invalid object' });
      return NEVER;
    }
    return value as Raw;
  });
}

/** An object parameter; '' is an empty one (as a form sends `name=`). */
function objectOf<E extends v.ObjectEntries>(entries: E) {
  const body = shape(entries);
  return v.pipe(v.unknown(), asObject(false), body, v.metadata({ doc: { object: body } }));
}

/** An object Stripe lets the caller clear with `name=`: null. */
function nullableObjectOf<E extends v.ObjectEntries>(entries: E) {
  const body = shape(entries);
  return v.pipe(v.unknown(), asObject(true), v.nullable(body), v.metadata({ doc: { object: body, nullable: true } }));
}

/** A list rule checked before the items are read (e.g. how many there may be); it may `refuse`. */
export type ListCheck = (list: unknown[]) => void;

function asList(nullable: boolean, check?: ListCheck) {
  return v.rawTransform<unknown, unknown[] | null>(({ dataset, addIssue, NEVER }) => {
    if (dataset.value === '' && nullable) return null;
    const list = listOf(dataset.value);
    try {
      if (!list) throw new Refusal('Invalid array');
      check?.(list);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      addIssue({ message: error.message });
      return NEVER;
    }
    return list;
  });
}

/** A list of objects; form bodies send it as an index-keyed hash (`tiers[0][up_to]`). */
function objectListOf<E extends v.ObjectEntries>(entries: E, check?: ListCheck) {
  const item = objectOf(entries);
  return v.pipe(v.unknown(), asList(false, check), v.array(item), v.metadata({ doc: { items: item } }));
}

/** A list of objects Stripe lets the caller clear with `name=`: null. */
function nullableObjectListOf<E extends v.ObjectEntries>(entries: E) {
  const item = objectOf(entries);
  return v.pipe(v.unknown(), asList(true), v.nullable(v.array(item)), v.metadata({ doc: { items: item, nullable: true } }));
}

/** Stripe's metadata: up to 50 keys of 40 characters, values of 500; a value of '' unsets a key, `metadata=` clears them all. */
function readMetadata(value: unknown): MetadataUpdate {
  if (value === '') return { set: {}, unset: [], clear: true };
  const map = readStringMap(value, METADATA_LIMITS.keys);
  const update: MetadataUpdate = { set: {}, unset: [], clear: false };
  for (const [k, text] of Object.entries(map)) {
    if (k.length > METADATA_LIMITS.keyLength) throw new Refusal(`Metadata keys can be at most ${METADATA_LIMITS.keyLength} characters`, [k]);
    if (text.length > METADATA_LIMITS.valueLength) throw new Refusal(`Metadata values can be at most ${METADATA_LIMITS.valueLength} characters`, [k]);
    if (text === '') update.unset.push(k);
    else update.set[k] = text;
  }
  return update;
}

/** A hash of string values (numbers taken as their text), at most `maxKeys` keys. */
export function readStringMap(value: unknown, maxKeys = 50): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Refusal('Invalid hash');
  const entries = Object.entries(value as Raw);
  if (entries.length > maxKeys) throw new Refusal(`Invalid ${NAME}: at most ${maxKeys} keys`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v === 'number') out[k] = String(v);
    else if (typeof v === 'string') out[k] = v;
    else throw new Refusal(`Invalid string: ${JSON.stringify(v)}`, [k]);
  }
  return out;
}

const stringMapDoc = (maxKeys: number): JsonSchema => ({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: maxKeys });

/** Inclusive bounds from Stripe's range filter (`created=N` or `created[gte]=N&created[lt]=M`). */
type Range = CreatedRange;

const rangeBounds = shape({
  gt: optional(field(integerDoc({}), (x) => readInteger(x, {}))),
  gte: optional(field(integerDoc({}), (x) => readInteger(x, {}))),
  lt: optional(field(integerDoc({}), (x) => readInteger(x, {}))),
  lte: optional(field(integerDoc({}), (x) => readInteger(x, {}))),
});

function toRange(b: { gt?: number; gte?: number; lt?: number; lte?: number }): Range {
  const bound = (inclusive: number | undefined, exclusive: number | undefined, step: number) =>
    [inclusive, exclusive === undefined ? undefined : exclusive + step].filter((x): x is number => x !== undefined);
  const lows = bound(b.gte, b.gt, 1);
  const highs = bound(b.lte, b.lt, -1);
  return { ...(lows.length ? { from: Math.max(...lows) } : {}), ...(highs.length ? { to: Math.min(...highs) } : {}) };
}

/** The parameter fields: required, optional, or clearable with '' (`nullable`: null means unset). */
export const p = {
  /** A required string: absent or '' is "Missing required param". */
  string: (rule: StringRule = {}) =>
    field(stringDoc(rule), (x) => {
      if (x === undefined || x === '') throw new Refusal(MISSING);
      return readString(x, rule);
    }),
  optionalString: (rule: StringRule = {}) => optional(field(stringDoc(rule), (x) => readString(x, rule))),
  /** A string Stripe lets the caller clear with an empty value: null means "unset". */
  nullableString: (rule: StringRule = {}) =>
    optional(field({ ...stringDoc(rule), nullable: true }, (x) => (x === '' ? null : readString(x, rule)))),
  /** One of `values` (required), typed as their union. */
  enum: <const T extends string>(values: readonly T[]) =>
    field(stringDoc({ oneOf: values }), (x) => {
      if (x === undefined || x === '') throw new Refusal(MISSING);
      return readString(x, { oneOf: values }) as T;
    }),
  optionalEnum: <const T extends string>(values: readonly T[]) => optional(field(stringDoc({ oneOf: values }), (x) => readString(x, { oneOf: values }) as T)),
  /** One of `values`, or '' to clear it (null). */
  nullableEnum: <const T extends string>(values: readonly T[]) =>
    optional(field({ ...stringDoc({ oneOf: values }), nullable: true }, (x) => (x === '' ? null : (readString(x, { oneOf: [...values, ''] }) as T)))),
  /** A field with its own reading rule (use `refuse`, `readInteger`, `readString` inside `read`). */
  custom: <T>(doc: JsonSchema, read: (value: unknown) => T) => field(doc, read),
  optional,
  integer: (rule: IntegerRule = {}) => field(integerDoc(rule), (x) => readInteger(x, rule)),
  optionalInteger: (rule: IntegerRule = {}) => optional(field(integerDoc(rule), (x) => readInteger(x, rule))),
  /** An integer Stripe lets the caller clear with an empty value (`Emptyable<number>`): null means "unset". */
  nullableInteger: (rule: IntegerRule = {}) =>
    optional(field({ ...integerDoc(rule), nullable: true }, (x) => (x === '' ? null : readInteger(x, rule)))),
  optionalBoolean: () =>
    optional(
      field({ type: 'boolean' }, (x) => {
        if (x === true || x === 'true') return true;
        if (x === false || x === 'false') return false;
        throw new Refusal(`Invalid boolean: ${String(x)}`);
      }),
    ),
  /** A range filter on an integer: one value or `gt`/`gte`/`lt`/`lte`, as inclusive bounds. */
  optionalRange: () =>
    optional(
      v.pipe(
        v.unknown(),
        v.rawTransform<unknown, unknown>(({ dataset, addIssue, NEVER }) => {
          const value = dataset.value;
          if (typeof value === 'object' && value !== null) return value;
          try {
            const exact = readInteger(value, {});
            return { gte: exact, lte: exact };
          } catch (error) {
            addIssue({ message: (error as Refusal).message });
            return NEVER;
          }
        }),
        objectOf(rangeBounds.entries),
        v.transform(toRange),
        v.metadata({ doc: { oneOf: [integerDoc({}), { type: 'object', properties: { gt: integerDoc({}), gte: integerDoc({}), lt: integerDoc({}), lte: integerDoc({}) }, additionalProperties: false }] } }),
      ),
    ),
  object: <E extends v.ObjectEntries>(entries: E) => objectOf(entries),
  optionalObject: <E extends v.ObjectEntries>(entries: E) => optional(objectOf(entries)),
  /** An object Stripe lets the caller clear with an empty value: null means "unset". */
  nullableObject: <E extends v.ObjectEntries>(entries: E) => optional(nullableObjectOf(entries)),
  /** A required list of objects; `check` sees the list before its items are read. */
  objectList: <E extends v.ObjectEntries>(entries: E, check?: ListCheck) => objectListOf(entries, check),
  optionalObjectList: <E extends v.ObjectEntries>(entries: E, check?: ListCheck) => optional(objectListOf(entries, check)),
  /** A list of objects Stripe lets the caller clear with an empty value: null means "unset". */
  nullableObjectList: <E extends v.ObjectEntries>(entries: E) => optional(nullableObjectListOf(entries)),
  /** A list of non-empty strings (`lookup_keys[0]=a`, a JSON array, or one string), at most `maxItems`. */
  optionalStringList: (maxItems: number, rule: StringRule = {}) =>
    optional(
      field({ type: 'array', items: { ...stringDoc(rule), minLength: 1 }, maxItems }, (x) => {
        const list = listOf(x) ?? [x];
        if (list.length > maxItems) throw new Refusal(`You can pass at most ${maxItems} ${NAME}.`);
        return list.map((item, i) => {
          if (typeof item !== 'string' || item === '') throw new Refusal(`Invalid string: ${JSON.stringify(item)}`, [i]);
          try {
            return readString(item, rule);
          } catch (error) {
            throw error instanceof Refusal ? new Refusal(error.message, [i]) : error;
          }
        });
      }),
    ),
  /** A hash of string values (`payload[...]`); numbers are taken as their text. */
  stringMap: (maxKeys = 50) => optional(field(stringMapDoc(maxKeys), (x) => readStringMap(x, maxKeys))),
  /** The JSON Schema of a hash of strings, for custom fields built on readStringMap. */
  stringMapDoc,
  /** Stripe's `metadata`: what to set, unset or clear. */
  metadata: () => optional(field({ ...stringMapDoc(METADATA_LIMITS.keys), nullable: true }, readMetadata)),
};


const pageEntries = {
  limit: p.optionalInteger({ min: 1, max: 100 }),
  starting_after: p.optionalString(),
  ending_before: p.optionalString(),
};

/** What a rule on a whole object may say about one of its parameters. */
export interface ObjectRuleIssue {
  /** The parameter, relative to the object. */
  key: string;
  /** A message, or `missing` / `unknown` for Stripe's own errors. */
  message: string | 'missing' | 'unknown';
}

/**
 * An object whose parameters depend on each other (exactly one of two, one only with a given
 * `type`): `rule` sees the parsed object and names the first parameter in the wrong.
 */
export function withRule<T extends Raw>(schema: ParamsSchema<T>, rule: (value: T) => ObjectRuleIssue | undefined) {
  return v.pipe(
    schema,
    v.rawCheck<T>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const found = rule(dataset.value);
      if (!found) return;
      const message = found.message === 'missing' ? MISSING : found.message === 'unknown' ? UNKNOWN : found.message;
      addIssue({ message, path: [{ type: 'object', origin: 'value', input: dataset.value, key: found.key, value: dataset.value[found.key] }] });
    }),
  );
}

/** The parameters of an operation (the request's top-level object). */
export function params<E extends v.ObjectEntries>(entries: E) {
  return objectOf(entries);
}

/**
 * The parameters of a list: Stripe's paging plus `filters`, as `{ page, ...filters }`. Passing
 * both cursors is refused.
 */
export function listParams<E extends v.ObjectEntries>(filters: E = {} as E) {
  return v.pipe(
    objectOf({ ...pageEntries, ...filters }),
    v.rawCheck(({ dataset, addIssue }) => {
      if (dataset.typed && dataset.value.starting_after && dataset.value.ending_before) {
        addIssue({
          message: 'You may only specify one of these parameters: starting_after, ending_before.',
          path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'ending_before', value: dataset.value.ending_before }],
        });
      }
    }),
    v.transform(({ limit, starting_after, ending_before, expand: _expand, ...rest }) => ({
      page: { limit: limit ?? 10, startingAfter: starting_after, endingBefore: ending_before } as PageQuery,
      ...(rest as Omit<v.InferOutput<v.StrictObjectSchema<E, undefined>>, 'expand'>),
    })),
  );
}

/** The parameters of a request that takes none (GET or DELETE of one object): any other is unknown. */
export const noParams = params({});

/** A route that has always ignored its parameters (GET /v1/customers/:id): kept as it is. */
export const ignoredParams = v.pipe(v.unknown(), v.transform(() => ({})), v.metadata({ doc: { object: shape({}) } }));

/** Turns the first schema issue into Stripe's error: the one place that names `param` in brackets. */
export function stripeError(issue: v.BaseIssue<unknown>): InvalidRequestError {
  const keys = (issue.path ?? []).map((item) => item.key as Key);
  const param = keys.map((key, i) => (i === 0 ? String(key) : `[${String(key)}]`)).join('');
  if (issue.type === 'strict_object') return issue.expected === 'never' ? new UnknownParameterError(param) : new MissingParameterError(param);
  if (issue.message === MISSING) return new MissingParameterError(param);
  if (issue.message === UNKNOWN) return new UnknownParameterError(param);
  const name = [...keys].reverse().find((key) => typeof key === 'string') ?? '';
  return new InvalidRequestError(issue.message.split(NAME).join(String(name)), param || undefined);
}

/** Parses decoded request parameters into the operation's command, or throws Stripe's error for the first problem. */
export function parseParams<S extends ParamsSchema>(schema: S, input: unknown): CommandOf<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  throw stripeError(result.issues[0]);
}
