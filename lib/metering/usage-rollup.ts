import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Quantity, formatQuantity } from '../domain/quantity';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';
import { DAY, HOUR } from '../domain/time';
import { batchGetItems, cancellationReasons, exactNumber, queryAll, type TransactItem } from '../store/dynamo';
import { keysFor, rollupDayPrefix, type Mode, type ModeKeys } from '../store/keys';

/**
 * Usage rollups: what the operator console charts across customers (a meter's usage over all
 * customers, its top customers, the busiest meters), kept off the hot path. The usage table's
 * stream hands every change of an hourly usage item (its hour total `h` before and after) to the
 * rollup, which keeps three aggregates in one transaction per meter and day:
 *
 * - a customer's day on a meter, with a mirror of each hour's total (`h00`..`h23`) and the stream
 *   sequence number of the last change applied (`s`);
 * - the meter's hour over all customers;
 * - the meter's day over all customers.
 *
 * Exactly once, by construction: an hour's mirror moves from the value stored to the item's new
 * total, and the same difference is added to the meter's hour and day in the same transaction, so
 * every aggregate always equals the sum of the mirrors beneath it. A change already applied
 * (its sequence number is not above `s`) is skipped; a mirror that is not what the change
 * expected (usage recorded before the rollup existed, or a batch handed over again) is read and
 * the difference taken from what is stored. Only sum and count meters have hour totals; `last`
 * meters are not rolled up.
 */

/** The change of one hourly usage item within a batch of stream records (several changes of one item coalesced). */
export interface HourChange {
  meterId: string;
  customerId: string;
  hourStart: number;
  /** The hour total before the first change of the batch; undefined when the item was new. */
  before: string | undefined;
  /** The hour total after the last change of the batch. */
  after: string;
  /** The stream sequence number of the last change, padded to SEQUENCE_DIGITS so that text order is number order. */
  sequence: string;
}

/** Stream sequence numbers have at most 40 digits. */
const SEQUENCE_DIGITS = 40;

export function sortableSequence(sequenceNumber: string): string {
  return sequenceNumber.padStart(SEQUENCE_DIGITS, '0');
}

/** Customers per transaction: with at most 24 hour items and one day item, well under DynamoDB's 100 items. */
const CUSTOMERS_PER_TRANSACTION = 40;
/** Attempts of one transaction that keeps conflicting with another rollup's, before the batch fails (and is handed over again). */
const MAX_ATTEMPTS = 12;

const hourAttribute = (hourOfDay: number) => `h${String(hourOfDay).padStart(2, '0')}`;
const dayOf = (t: number) => t - (t % DAY);
const hourOfDay = (t: number) => Math.floor((t % DAY) / HOUR);

/** One customer's hours of one day in a batch: per hour of the day, the mirror expected and the new total. */
interface CustomerDay {
  customerId: string;
  hours: Map<number, { expected: string | undefined; after: string }>;
  sequence: string;
}

/** Groups a batch's hour changes by meter and UTC day, one entry per customer (pure). */
export function planRollup(changes: readonly HourChange[]): { meterId: string; dayStart: number; customers: CustomerDay[] }[] {
  const groups = new Map<string, { meterId: string; dayStart: number; customers: Map<string, CustomerDay> }>();
  for (const change of changes) {
    const dayStart = dayOf(change.hourStart);
    const groupKey = `${change.meterId}#${dayStart}`;
    let group = groups.get(groupKey);
    if (!group) groups.set(groupKey, (group = { meterId: change.meterId, dayStart, customers: new Map() }));
    let customer = group.customers.get(change.customerId);
    if (!customer) group.customers.set(change.customerId, (customer = { customerId: change.customerId, hours: new Map(), sequence: change.sequence }));
    customer.hours.set(hourOfDay(change.hourStart), { expected: change.before, after: change.after });
    if (change.sequence > customer.sequence) customer.sequence = change.sequence;
  }
  return [...groups.values()].map((group) => ({ ...group, customers: [...group.customers.values()] }));
}

const difference = (after: string, before: string | undefined) => new Quantity(after).minus(before ?? 0);

export class UsageRollupStore {
  private readonly keys: ModeKeys;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    mode: Mode,
  ) {
    this.keys = keysFor(mode);
  }

  /** Applies a batch's hour changes (of this store's mode); throws when it could not, so the batch is handed over again. */
  async apply(changes: readonly HourChange[]): Promise<void> {
    for (const group of planRollup(changes)) {
      for (let i = 0; i < group.customers.length; i += CUSTOMERS_PER_TRANSACTION) {
        await this.applyCustomers(group.meterId, group.dayStart, group.customers.slice(i, i + CUSTOMERS_PER_TRANSACTION));
      }
    }
  }

  private async applyCustomers(meterId: string, dayStart: number, customers: CustomerDay[]): Promise<void> {
    let pending = customers;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`usage rollup of ${meterId} on day ${dayStart} kept conflicting`);
      if (attempt > 0) await sleep(backoffMs(BACKOFF.rollupConflict, attempt));
      try {
        const items = this.transactionOf(meterId, dayStart, pending);
        if (items.length > 0) await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        // A mirror that is not what the change expected: take the difference from what is stored.
        if (reasons.includes('ConditionalCheckFailed')) pending = await this.rebase(meterId, dayStart, pending);
      }
    }
  }

  /** The customers' changes re-read against their stored day items: changes already applied are dropped, the others expect what is stored. */
  private async rebase(meterId: string, dayStart: number, customers: CustomerDay[]): Promise<CustomerDay[]> {
    const stored = await batchGetItems(
      this.db,
      this.tableName,
      customers.map((c) => this.keys.customerDayTotal(meterId, dayStart, c.customerId)),
      true,
    );
    const bySk = new Map(stored.map((item) => [String(item.sk), item]));
    return customers.flatMap((customer) => {
      const item = bySk.get(this.keys.customerDayTotal(meterId, dayStart, customer.customerId).sk);
      if (item?.s !== undefined && String(item.s) >= customer.sequence) return [];
      const hours = new Map(
        [...customer.hours].map(([hour, change]) => {
          const mirror = item?.[hourAttribute(hour)];
          return [hour, { expected: mirror === undefined ? undefined : String(mirror), after: change.after }] as const;
        }),
      );
      return [{ ...customer, hours }];
    });
  }

  private transactionOf(meterId: string, dayStart: number, customers: CustomerDay[]): TransactItem[] {
    const items: TransactItem[] = [];
    const byHour = new Map<number, Quantity>();
    let dayTotal = new Quantity(0);
    for (const customer of customers) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':s': customer.sequence };
      const sets = ['s = :s'];
      const conditions: string[] = [];
      let customerTotal = new Quantity(0);
      for (const [hour, change] of customer.hours) {
        const delta = difference(change.after, change.expected);
        byHour.set(hour, (byHour.get(hour) ?? new Quantity(0)).plus(delta));
        customerTotal = customerTotal.plus(delta);
        names[`#h${hour}`] = hourAttribute(hour);
        values[`:a${hour}`] = exactNumber(change.after);
        sets.push(`#h${hour} = :a${hour}`);
        if (change.expected === undefined) conditions.push(`attribute_not_exists(#h${hour})`);
        else {
          values[`:e${hour}`] = exactNumber(change.expected);
          conditions.push(`#h${hour} = :e${hour}`);
        }
      }
      dayTotal = dayTotal.plus(customerTotal);
      values[':d'] = exactNumber(formatQuantity(customerTotal));
      items.push({
        Update: {
          TableName: this.tableName,
          Key: this.keys.customerDayTotal(meterId, dayStart, customer.customerId),
          UpdateExpression: `SET ${sets.join(', ')} ADD v :d`,
          ConditionExpression: `(attribute_not_exists(s) OR s < :s) AND ${conditions.join(' AND ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      });
    }
    for (const [hour, delta] of byHour) {
      if (delta.isZero()) continue;
      items.push(this.addTo(this.keys.meterHourTotal(meterId, dayStart + hour * HOUR), delta));
    }
    if (!dayTotal.isZero()) items.push(this.addTo(this.keys.meterDayTotal(dayStart, meterId), dayTotal));
    return items;
  }

  private addTo(key: { pk: string; sk: string }, delta: Quantity): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'ADD v :d',
        ExpressionAttributeValues: { ':d': exactNumber(formatQuantity(delta)) },
      },
    };
  }

  /** A meter's hour totals over all customers for hours in [fromHour, toHour]. */
  async meterHours(meterId: string, fromHour: number, toHour: number): Promise<{ hourStart: number; value: string }[]> {
    const { pk, sk: from } = this.keys.meterHourTotal(meterId, fromHour);
    const items = await this.query(pk, from, this.keys.meterHourTotal(meterId, toHour).sk);
    return items.map((item) => ({ hourStart: Number(String(item.sk).split('#')[1]), value: String(item.v) }));
  }

  /** Each customer's days on a meter for days in [fromDay, toDay], with the hour totals of each day. */
  async customerDays(meterId: string, fromDay: number, toDay: number): Promise<{ dayStart: number; customerId: string; hours: Map<number, string> }[]> {
    const items = await this.query(this.keys.rollupPartition(meterId), rollupDayPrefix(fromDay), `${rollupDayPrefix(toDay)}~`);
    return items.map((item) => {
      const { dayStart, id } = parseDaySk(String(item.sk));
      const hours = new Map<number, string>();
      for (let hour = 0; hour < 24; hour++) {
        const value = item[hourAttribute(hour)];
        if (value !== undefined) hours.set(hour, String(value));
      }
      return { dayStart, customerId: id, hours };
    });
  }

  /** Every meter's day totals over all customers for days in [fromDay, toDay]. */
  async meterDays(fromDay: number, toDay: number): Promise<{ dayStart: number; meterId: string; value: string }[]> {
    const items = await this.query(this.keys.meterDayTotalsPartition(), rollupDayPrefix(fromDay), `${rollupDayPrefix(toDay)}~`);
    return items.map((item) => {
      const { dayStart, id } = parseDaySk(String(item.sk));
      return { dayStart, meterId: id, value: String(item.v) };
    });
  }

  private query(pk: string, from: string, to: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':p': pk, ':a': from, ':b': to },
    });
  }

}

function parseDaySk(sk: string): { dayStart: number; id: string } {
  const [, day, ...id] = sk.split('#');
  return { dayStart: Number(day), id: id.join('#') };
}
