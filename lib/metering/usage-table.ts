import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
export function lastAttributeNames(minute: number) {
  return { '#m': minuteAttribute(minute), '#t': minuteTimeAttribute(minute), '#i': minuteIdentifierAttribute(minute) };
}
