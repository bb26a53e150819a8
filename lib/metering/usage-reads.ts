import { queryAll } from '../store/dynamo';
import { minuteAttribute, minuteIdentifierAttribute, minuteTimeAttribute, usageHourSk } from '../store/keys';
import type { UsageTable } from './usage-table';

/** One hourly usage item as read back. */
export interface UsageHour {
  hourStart: number;
  /** Minute of hour -> exact value (sum, count or last value). */
  minutes: Map<number, string>;
  /** For `last` meters: minute -> [timestamp, identifier] of the value. */
  lastAt: Map<number, [number, string]>;
}

/** Hourly usage items of a meter and customer for hours in [fromHour, toHour]. */
export async function readHours(table: UsageTable, meterId: string, customerId: string, fromHour: number, toHour: number): Promise<UsageHour[]> {
  const items = await queryAll(table.db, {
    TableName: table.tableName,
    KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: {
      ':p': table.keys.usagePartition(meterId, customerId),
      ':a': usageHourSk(fromHour),
      ':b': usageHourSk(toHour),
    },
  });
  return items.map(toUsageHour);
}

function toUsageHour(item: Record<string, unknown>): UsageHour {
  const minutes = new Map<number, string>();
  const lastAt = new Map<number, [number, string]>();
  for (let minute = 0; minute < 60; minute++) {
    const value = item[minuteAttribute(minute)];
    if (value === undefined) continue;
    minutes.set(minute, String(value));
    const at = item[minuteTimeAttribute(minute)];
    if (at !== undefined) lastAt.set(minute, [Number(at), String(item[minuteIdentifierAttribute(minute)])]);
  }
  const sk = String(item.sk);
  return { hourStart: Number(sk.slice(sk.indexOf('#') + 1)), minutes, lastAt };
}
