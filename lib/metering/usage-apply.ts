import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, exactNumber, cancellationReasons, type TransactItem } from '../store/dynamo';
import { COMBINATIONS_ATTRIBUTE, usageAttributes, type UsageAttributes } from '../store/keys';
import { MAX_COMBINATIONS_PER_HOUR } from '../domain/dimensions';
import { CLAIM_RETENTION_SECONDS, updateLastMinute, type UsageTable } from './usage-table';

/*
 * Applying claimed events to the hourly usage items, one chunk per transaction, and the chunk's
 * apply marker: the proof that every event the chunk claimed counts.
 */

/** What a chunk adds to a total: the hour's and each minute's (exact decimal text). */
export interface UsageDelta {
  total: string;
  minutes: Map<number, string>;
}

/** The sum or count delta of one hourly usage item, and of each combination of dimension values on it. */
export interface HourDelta extends UsageDelta {
  meterId: string;
  customerId: string;
  hourStart: number;
  /** Combination (combinationKey) -> its delta, for a meter with dimensions. */
  combinations?: Map<string, UsageDelta>;
  /** Combinations the item was read to list already: only the others count against the bound. */
  listed?: ReadonlySet<string>;
}

/** The latest event of one minute of a `last` meter. */
export interface LastValue {
  meterId: string;
  customerId: string;
  timestamp: number;
  identifier: string;
  value: string;
  /** Set for the value of one combination of dimension values (combinationKey): kept beside the meter's own. */
  combination?: string;
}

/** A chunk's transaction failed on a condition of an item it shares with other writers: retry it. */
export class TransactionConflict extends Error {}

/**
 * A chunk's condition on the combinations of dimension values of these hourly items failed:
 * others (another batch, or another chunk of this one) added combinations since they were
 * read. Read them again: if the chunk's still fit, retry; if not, its messages fail and come
 * back to be checked again (combination-limit.ts).
 */
export class CombinationsExceeded extends Error {
  constructor(readonly deltas: readonly HourDelta[]) {
    super(deltas.map((d) => `${d.meterId}/${d.customerId}@${d.hourStart}`).join(', '));
  }
}

/** The ADD of one usage delta: its total and minutes under `attributes`. */
function addDelta(update: ExpressionBuilder, attributes: UsageAttributes, delta: UsageDelta): void {
  update.add(attributes.total, exactNumber(delta.total));
  for (const [minute, value] of delta.minutes) update.add(attributes.minute(minute), exactNumber(value));
}

/**
 * The update of one hourly usage item: the meter's total and, for a meter with dimensions, each
 * combination's, and the item's set of combinations, which may not grow past
 * MAX_COMBINATIONS_PER_HOUR. The set only grows, so with the combinations the item was read to
 * list (`delta.listed`), `size <= MAX - (combinations not listed)` is sound, and exact when no one
 * added any since; every combination on it already always passes.
 */
function hourUpdate(delta: HourDelta) {
  const update = new ExpressionBuilder();
  addDelta(update, usageAttributes(), delta);
  if (!delta.combinations?.size) return update.build();
  const keys = [...delta.combinations.keys()];
  for (const [key, combination] of delta.combinations) addDelta(update, usageAttributes(key), combination);
  const set = update.name(COMBINATIONS_ATTRIBUTE);
  update.add(COMBINATIONS_ATTRIBUTE, new Set(keys));
  const room = update.value(MAX_COMBINATIONS_PER_HOUR - keys.filter((key) => !delta.listed?.has(key)).length);
  const known = keys.map((key) => `contains(${set}, ${update.value(key)})`).join(' AND ');
  return update.build(`attribute_not_exists(${set}) OR size(${set}) <= ${room} OR (${known})`);
}

/** Placeholders of an ADD expression, numbered: short enough for DynamoDB's 4 KB expression limit (see ChunkPlan). */
class ExpressionBuilder {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly adds: string[] = [];
  private readonly nameOf = new Map<string, string>();

  name(attribute: string): string {
    let placeholder = this.nameOf.get(attribute);
    if (!placeholder) {
      placeholder = `#a${this.nameOf.size}`;
      this.nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  add(attribute: string, value: unknown): void {
    this.adds.push(`${this.name(attribute)} ${this.value(value)}`);
  }

  build(condition?: string) {
    return {
      UpdateExpression: `ADD ${this.adds.join(', ')}`,
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
      ...(condition ? { ConditionExpression: condition } : {}),
    };
  }
}

function applyMarker(table: UsageTable, chunk: string, nowSeconds: number) {
  return { ...table.keys.applyMarker(chunk), chunk, expires_at: nowSeconds + CLAIM_RETENTION_SECONDS };
}

/** Which of these chunks have been applied (strongly consistent). */
export async function appliedChunks(table: UsageTable, chunks: Iterable<string>): Promise<Set<string>> {
  const markers = [...new Set(chunks)].map((chunk) => table.keys.applyMarker(chunk));
  const items = await batchGetItems(table.db, table.tableName, markers, true);
  return new Set(items.map((item) => String(item.chunk)));
}

/**
 * Adds the deltas of one chunk to the hourly items and writes the chunk's marker, in one
 * transaction: either all of it counts or none of it does. `alsoWrite` (usage alert progress
 * and trigger events) commits with it; a failed condition there is a TransactionConflict.
 */
export async function applyChunk(
  table: UsageTable,
  chunk: string,
  deltas: readonly HourDelta[],
  nowSeconds: number,
  alsoWrite: readonly TransactItem[] = [],
): Promise<void> {
  const items = [
    {
      Put: {
        TableName: table.tableName,
        Item: applyMarker(table, chunk, nowSeconds),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...deltas.map((delta) => ({
      Update: { TableName: table.tableName, Key: table.keys.usageHour(delta.meterId, delta.customerId, delta.hourStart), ...hourUpdate(delta) },
    })),
    ...alsoWrite,
  ];
  try {
    await table.db.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons) {
      // The marker exists: this chunk was applied before (a retried call). Nothing to do.
      if (reasons[0] === 'ConditionalCheckFailed') return;
      // An hourly item's condition: it holds as many combinations of dimension values as it may.
      const full = deltas.filter((_, i) => reasons[i + 1] === 'ConditionalCheckFailed');
      if (full.length) throw new CombinationsExceeded(full);
      throw new TransactionConflict(reasons.join(','));
    }
    throw error;
  }
}

/** Records the latest value of a minute of a `last` meter; replaying it changes nothing. */
export async function applyLast(table: UsageTable, last: LastValue): Promise<void> {
  const values = { ':v': exactNumber(last.value), ':t': last.timestamp, ':i': last.identifier };
  // Unless a later event already holds the minute (then it listed the combination too).
  const condition = 'attribute_not_exists(#t) OR #t < :t OR (#t = :t AND #i <= :i)';
  if (last.combination === undefined) {
    await updateLastMinute(table, last, { UpdateExpression: 'SET #m = :v, #t = :t, #i = :i', ConditionExpression: condition, ExpressionAttributeValues: values });
    return;
  }
  await updateLastMinute(table, last, {
    UpdateExpression: 'SET #m = :v, #t = :t, #i = :i ADD #dc :dc',
    ConditionExpression: condition,
    ExpressionAttributeNames: { '#dc': COMBINATIONS_ATTRIBUTE },
    ExpressionAttributeValues: { ...values, ':dc': new Set([last.combination]) },
  });
}

/** Writes the marker of a chunk whose writes are idempotent by themselves (`last` meters). */
export async function markApplied(table: UsageTable, chunk: string, nowSeconds: number): Promise<void> {
  await table.db.send(new PutCommand({ TableName: table.tableName, Item: applyMarker(table, chunk, nowSeconds) }));
}
