import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../store/dynamo';
import { DAY, HOUR, MINUTE } from '../domain/time';
import { minuteAttribute, minuteIdentifierAttribute, minuteTimeAttribute, type ModeKeys } from '../store/keys';

/*
 * The usage table of one mode, shared by its jobs: claims (usage-claims.ts), applying chunks
 * (usage-apply.ts), cancellation (usage-cancel.ts) and reads (usage-reads.ts). UsageStore
 * (usage-store.ts) gathers them behind one dependency.
 */

/** The usage table of one mode: its client, its name and the mode's keys. */
export interface UsageTable {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The keys of this mode: usage and identifiers of the other mode are never read or claimed. */
  readonly keys: ModeKeys;
}

/** Claims and apply markers outlive Stripe's 24 h promise: identifiers stay unique 40 days. */
export const CLAIM_RETENTION_SECONDS = 40 * DAY;

/** Minute of the hour of a timestamp: the attribute of the hourly usage item it lands in. */
export const minuteOf = (timestamp: number) => Math.floor((timestamp % HOUR) / MINUTE);

/** Start of the hour of a timestamp: the hourly usage item it lands in. */
export const hourOf = (timestamp: number) => timestamp - (timestamp % HOUR);

/** Attribute names of one minute of a `last` meter: value, event time, identifier. */
function lastAttributeNames(minute: number) {
  return { '#m': minuteAttribute(minute), '#t': minuteTimeAttribute(minute), '#i': minuteIdentifierAttribute(minute) };
}

/**
 * Updates the minute of a `last` meter's hourly item that `at` falls in (attribute names `#m`
 * value, `#t` event time, `#i` identifier); a failed condition means another event holds the
 * minute, and changes nothing.
 */
export async function updateLastMinute(
  table: UsageTable,
  at: { meterId: string; customerId: string; timestamp: number },
  update: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<void> {
  try {
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: table.keys.usageHour(at.meterId, at.customerId, hourOf(at.timestamp)),
        ExpressionAttributeNames: lastAttributeNames(minuteOf(at.timestamp)),
        ...update,
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
