import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, exactNumber, cancellationReasons, type TransactItem } from '../store/dynamo';
import { HOUR_TOTAL_ATTRIBUTE, minuteAttribute } from '../store/keys';
import { CLAIM_RETENTION_SECONDS, updateLastMinute, type UsageTable } from './usage-table';

/*
 * Applying claimed events to the hourly usage items, one chunk per transaction, and the chunk's
 * apply marker: the proof that every event the chunk claimed counts.
 */

/** The sum or count delta of one hourly usage item. */
export interface HourDelta {
  meterId: string;
  customerId: string;
  hourStart: number;
  total: string;
  minutes: Map<number, string>;
}

/** The latest event of one minute of a `last` meter. */
export interface LastValue {
  meterId: string;
  customerId: string;
  timestamp: number;
  identifier: string;
  value: string;
}

/** A chunk's transaction failed on a condition of an item it shares with other writers: retry it. */
export class TransactionConflict extends Error {}

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
    ...deltas.map((delta) => {
      const names: Record<string, string> = { '#h': HOUR_TOTAL_ATTRIBUTE };
      const values: Record<string, unknown> = { ':h': exactNumber(delta.total) };
      const adds = ['#h :h'];
      for (const [minute, value] of delta.minutes) {
        names[`#m${minute}`] = minuteAttribute(minute);
        values[`:m${minute}`] = exactNumber(value);
        adds.push(`#m${minute} :m${minute}`);
      }
      return {
        Update: {
          TableName: table.tableName,
          Key: table.keys.usageHour(delta.meterId, delta.customerId, delta.hourStart),
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      };
    }),
    ...alsoWrite,
  ];
  try {
    await table.db.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons) {
      // The marker exists: this chunk was applied before (a retried call). Nothing to do.
      if (reasons[0] === 'ConditionalCheckFailed') return;
      throw new TransactionConflict(reasons.join(','));
    }
    throw error;
  }
}

/** Records the latest value of a minute of a `last` meter; replaying it changes nothing. */
export async function applyLast(table: UsageTable, last: LastValue): Promise<void> {
  // Unless a later event already holds the minute.
  await updateLastMinute(table, last, {
    UpdateExpression: 'SET #m = :v, #t = :t, #i = :i',
    ConditionExpression: 'attribute_not_exists(#t) OR #t < :t OR (#t = :t AND #i <= :i)',
    ExpressionAttributeValues: { ':v': exactNumber(last.value), ':t': last.timestamp, ':i': last.identifier },
  });
}

/** Writes the marker of a chunk whose writes are idempotent by themselves (`last` meters). */
export async function markApplied(table: UsageTable, chunk: string, nowSeconds: number): Promise<void> {
  await table.db.send(new PutCommand({ TableName: table.tableName, Item: applyMarker(table, chunk, nowSeconds) }));
}
