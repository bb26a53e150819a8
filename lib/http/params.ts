import { InvalidRequestError, MissingParameterError, UnknownParameterError } from '../errors';
import type { MetadataUpdate } from '../domain/metadata';

type Raw = Record<string, unknown>;

interface StringRule {
  maxLength?: number;
  oneOf?: readonly string[];
  pattern?: RegExp;
}

interface IntegerRule {
  min?: number;
  max?: number;
}

// Metadata has its home in lib/domain (and its rule in lib/metadata.ts); re-exported while use cases still read Params.
export type { Metadata, MetadataUpdate } from '../domain/metadata';
export { applyMetadata } from '../metadata';

/** A list as JSON sends it, or as form bodies do (an index-keyed hash); undefined for a scalar. */
function listOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  return typeof value === 'object' && value !== null ? Object.values(value) : undefined;
}

/**
 * Reads and validates request parameters, naming the offending parameter the way Stripe does
 * (`default_aggregation[formula]`). `done()` rejects every parameter nobody read.
 */
export class Params {
  private readonly seen = new Set<string>(['expand']);

  constructor(
    private readonly raw: Raw,
    private readonly prefix = '',
  ) {}

  static of(value: unknown, prefix = ''): Params {
    if (value === undefined || value === '') return new Params({}, prefix);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidRequestError(`Invalid object`, prefix || undefined);
    }
    return new Params(value as Raw, prefix);
  }

  /** Name of a parameter as Stripe prints it. */
  path(name: string): string {
    return this.prefix ? `${this.prefix}[${name}]` : name;
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  private take(name: string): unknown {
    this.seen.add(name);
    return this.raw[name];
  }

  optionalString(name: string, rule: StringRule = {}): string | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw new InvalidRequestError(`Invalid string: ${JSON.stringify(value)}`, this.path(name));
    }
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      throw new InvalidRequestError(
        `Invalid ${name}: must be at most ${rule.maxLength} characters`,
        this.path(name),
      );
    }
    if (rule.oneOf && !rule.oneOf.includes(value)) {
      throw new InvalidRequestError(
        `Invalid ${name}: must be one of ${rule.oneOf.join(', ')}`,
        this.path(name),
      );
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      throw new InvalidRequestError(`Invalid ${name}: ${JSON.stringify(value)}`, this.path(name));
    }
    return value;
  }

  string(name: string, rule: StringRule = {}): string {
    const value = this.optionalString(name, rule);
    if (value === undefined || value === '') throw new MissingParameterError(this.path(name));
    return value;
  }

  /** Stripe lets a string parameter be cleared with an empty value: null means "unset". */
  nullableString(name: string, rule: StringRule = {}): string | null | undefined {
    const value = this.optionalString(name, rule);
    return value === '' ? null : value;
  }

  optionalInteger(name: string, rule: IntegerRule = {}): number | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new InvalidRequestError(`Invalid integer: ${String(value)}`, this.path(name));
    }
    const n = Number(text);
    if ((rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
      const bounds = [rule.min !== undefined ? `at least ${rule.min}` : '', rule.max !== undefined ? `at most ${rule.max}` : '']
        .filter(Boolean)
        .join(' and ');
      throw new InvalidRequestError(`Invalid ${name}: must be ${bounds}`, this.path(name));
    }
    return n;
  }

  integer(name: string, rule: IntegerRule = {}): number {
    const value = this.optionalInteger(name, rule);
    if (value === undefined) throw new MissingParameterError(this.path(name));
    return value;
  }

  /** An integer Stripe lets the caller clear with an empty value (`Emptyable<number>`): null means "unset". */
  nullableInteger(name: string, rule: IntegerRule = {}): number | null | undefined {
    if (this.raw[name] === '') {
      this.seen.add(name);
      return null;
    }
    return this.optionalInteger(name, rule);
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new InvalidRequestError(`Invalid boolean: ${String(value)}`, this.path(name));
  }

  /**
   * A range filter on an integer (Stripe's `created=N` or `created[gte]=N&created[lt]=M`), as
   * inclusive bounds; undefined when absent.
   */
  optionalRange(name: string): { from?: number; to?: number } | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null) {
      const exact = this.integer(name);
      return { from: exact, to: exact };
    }
    const range = this.object(name);
    const gt = range.optionalInteger('gt');
    const gte = range.optionalInteger('gte');
    const lt = range.optionalInteger('lt');
    const lte = range.optionalInteger('lte');
    range.done();
    const bound = (inclusive: number | undefined, exclusive: number | undefined, step: number) =>
      [inclusive, exclusive === undefined ? undefined : exclusive + step].filter((b): b is number => b !== undefined);
    const lows = bound(gte, gt, 1);
    const highs = bound(lte, lt, -1);
    return {
      ...(lows.length ? { from: Math.max(...lows) } : {}),
      ...(highs.length ? { to: Math.min(...highs) } : {}),
    };
  }

  /** A nested object parameter (`customer_mapping[...]`); undefined when absent. */
  optionalObject(name: string): Params | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    return Params.of(value, this.path(name));
  }

  /** An object that Stripe lets the caller clear with an empty value: null means "unset". */
  nullableObject(name: string): Params | null | undefined {
    if (this.raw[name] === '') {
      this.seen.add(name);
      return null;
    }
    return this.optionalObject(name);
  }

  object(name: string): Params {
    const value = this.optionalObject(name);
    if (!value) throw new MissingParameterError(this.path(name));
    return value;
  }

  /** A list of objects (`events[0][...]`); form bodies may send it as an index-keyed hash. */
  optionalObjectList(name: string): Params[] | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    const list = listOf(value);
    if (!list) throw new InvalidRequestError(`Invalid array`, this.path(name));
    return list.map((item, i) => Params.of(item, `${this.path(name)}[${i}]`));
  }

  /** A list of objects that Stripe lets the caller clear with an empty value: null means "unset". */
  nullableObjectList(name: string): Params[] | null | undefined {
    if (this.raw[name] === '') {
      this.seen.add(name);
      return null;
    }
    return this.optionalObjectList(name);
  }

  /** A list of non-empty strings (`lookup_keys[0]=a` or a JSON array), at most `maxItems`. */
  optionalStringList(name: string, maxItems: number): string[] | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    const list = listOf(value) ?? [value];
    if (list.length > maxItems) throw new InvalidRequestError(`You can pass at most ${maxItems} ${name}.`, this.path(name));
    return list.map((item, i) => {
      if (typeof item !== 'string' || item === '') throw new InvalidRequestError(`Invalid string: ${JSON.stringify(item)}`, `${this.path(name)}[${i}]`);
      return item;
    });
  }

  /** A hash of string values (`payload[...]`), at most `maxKeys` keys. */
  stringMap(name: string, maxKeys = 50): Record<string, string> | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidRequestError(`Invalid hash`, this.path(name));
    }
    const entries = Object.entries(value as Raw);
    if (entries.length > maxKeys) {
      throw new InvalidRequestError(`Invalid ${name}: at most ${maxKeys} keys`, this.path(name));
    }
    const out: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (typeof v === 'number') out[k] = String(v);
      else if (typeof v === 'string') out[k] = v;
      else throw new InvalidRequestError(`Invalid string: ${JSON.stringify(v)}`, `${this.path(name)}[${k}]`);
    }
    return out;
  }

  /** Stripe's metadata: up to 50 keys of 40 characters, values of 500; '' unsets. */
  metadata(name = 'metadata'): MetadataUpdate | undefined {
    const value = this.raw[name];
    if (value === '') {
      this.seen.add(name);
      return { set: {}, unset: [], clear: true };
    }
    const map = this.stringMap(name);
    if (!map) return undefined;
    const update: MetadataUpdate = { set: {}, unset: [], clear: false };
    for (const [k, v] of Object.entries(map)) {
      if (k.length > 40) {
        throw new InvalidRequestError(`Metadata keys can be at most 40 characters`, `${this.path(name)}[${k}]`);
      }
      if (v.length > 500) {
        throw new InvalidRequestError(`Metadata values can be at most 500 characters`, `${this.path(name)}[${k}]`);
      }
      if (v === '') update.unset.push(k);
      else update.set[k] = v;
    }
    return update;
  }

  /** Rejects every parameter that was not read. */
  done(): void {
    for (const name of Object.keys(this.raw)) {
      if (!this.seen.has(name)) throw new UnknownParameterError(this.path(name));
    }
  }
}
