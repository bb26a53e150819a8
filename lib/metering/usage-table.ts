import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../store/dynamo';
import { DAY, HOUR, MINUTE } from '../domain/time';
import { usageAttributes, type ModeKeys } from '../store/keys';

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

/**
 * Updates the minute of a `last` meter's hourly item that `at` falls in (attribute names `#m`
 * value, `#t` event time, `#i` identifier: the meter's own, or those of `at.combination` of
 * dimension values); a failed condition means another event holds the minute, and changes nothing.
 */
export async function updateLastMinute(
  table: UsageTable,
  at: { meterId: string; customerId: string; timestamp: number; combination?: string },
  update: {
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
    ExpressionAttributeNames?: Record<string, string>;
  },
): Promise<void> {
  const minute = minuteOf(at.timestamp);
  const attributes = usageAttributes(at.combination);
  try {
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: table.keys.usageHour(at.meterId, at.customerId, hourOf(at.timestamp)),
        ...update,
        ExpressionAttributeNames: { '#m': attributes.minute(minute), '#t': attributes.time(minute), '#i': attributes.identifier(minute), ...update.ExpressionAttributeNames },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
