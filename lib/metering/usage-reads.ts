import { batchGetItems, queryAll } from '../store/dynamo';
import { COMBINATIONS_ATTRIBUTE, parseUsageHourKey, usageAttributes, usageHourSk, type UsageAttributes } from '../store/keys';
import { parseCombinationKey, type Dimensions } from '../domain/dimensions';
import type { UsageTable } from './usage-table';

/** The minutes of one usage total on an hourly item. */
export interface MinuteValues {
  /** Minute of hour -> exact value (sum, count or last value). */
  minutes: Map<number, string>;
  /** For `last` meters: minute -> [timestamp, identifier] of the value. */
  lastAt: Map<number, [number, string]>;
}

/** One combination of dimension values on an hourly usage item, and its minutes. */
export interface CombinationUsage extends MinuteValues {
  dimensions: Dimensions;
}

/** One hourly usage item as read back: the meter's total and, for a meter with dimensions, each combination's. */
export interface UsageHour extends MinuteValues {
  hourStart: number;
  combinations?: CombinationUsage[];
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

function minuteValues(item: Record<string, unknown>, attributes: UsageAttributes): MinuteValues {
  const minutes = new Map<number, string>();
  const lastAt = new Map<number, [number, string]>();
  for (let minute = 0; minute < 60; minute++) {
    const value = item[attributes.minute(minute)];
    if (value === undefined) continue;
    minutes.set(minute, String(value));
    const at = item[attributes.time(minute)];
    if (at !== undefined) lastAt.set(minute, [Number(at), String(item[attributes.identifier(minute)])]);
  }
  return { minutes, lastAt };
}

function toUsageHour(item: Record<string, unknown>): UsageHour {
  const sk = String(item.sk);
  const hour: UsageHour = { hourStart: Number(sk.slice(sk.indexOf('#') + 1)), ...minuteValues(item, usageAttributes()) };
  const combinations = item[COMBINATIONS_ATTRIBUTE];
  if (combinations instanceof Set) {
    hour.combinations = [...(combinations as Set<string>)].map((key) => ({ dimensions: parseCombinationKey(key), ...minuteValues(item, usageAttributes(key)) }));
  }
  return hour;
}

/** An hourly usage item of a meter and customer. */
export interface HourRef {
  meterId: string;
  customerId: string;
  hourStart: number;
}

/** The combinations of dimension values each of these hourly items lists (read consistently), by `hourRefKey`. */
export async function readCombinations(table: UsageTable, hours: readonly HourRef[]): Promise<Map<string, Set<string>>> {
  const items = await batchGetItems(table.db, table.tableName, hours.map((h) => table.keys.usageHour(h.meterId, h.customerId, h.hourStart)), true);
  const found = new Map<string, Set<string>>();
  for (const item of items) {
    const set = item[COMBINATIONS_ATTRIBUTE];
    const key = parseUsageHourKey(String(item.pk), String(item.sk));
    if (key && set instanceof Set) found.set(hourRefKey(key), set as Set<string>);
  }
  return found;
}

/** The text that names an hourly usage item in maps. */
export const hourRefKey = (h: HourRef) => `${h.meterId}|${h.customerId}|${h.hourStart}`;
