import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableDefinition } from '../../lib/store/resources';
import { itemSizeBytes, units as localUnits } from './meters';
import { bump, countCalls, Tally } from './tally';

/**
 * DynamoDB request units by AWS's on-demand rules, computed from the items each call writes and
 * reads (DynamoDB Local's ConsumedCapacity is kept beside them for comparison: it reports
 * 2 units per transaction whatever its size and nothing for index writes).
 *
 * - Writes: 1 unit per started KB of the item; items of a TransactWriteItems count twice.
 * - Global secondary indexes: a write that puts, replaces or removes an item's index entry costs
 *   1 unit per started KB of the projected entry (keys-only entries are under 1 KB); an entry whose
 *   index key changes is a delete plus a put (2 writes); a keys-only entry whose keys do not change
 *   costs nothing. Index propagation is asynchronous and outside the transaction: standard rate.
 *   An item's previous index keys are known from the writes seen before (only items whose index
 *   keys change, such as a subscription's due time, are remembered).
 * - Reads: 1 unit per started 4 KB, half for eventually consistent reads; a Query sums the sizes
 *   of the items it returns (as projected) before rounding; a GetItem that finds nothing costs
 *   the minimum.
 */
export interface CapacityTally {
  calls: Record<string, number>;
  /** Table writes (transactional x2). */
  tableWriteUnits: number;
  /** Index writes, by index name. */
  indexWriteUnits: Record<string, number>;
  readUnits: number;
  /** Read units by operation and table/index, for the report. */
  readUnitsBy: Record<string, number>;
  writeUnitsBy: Record<string, number>;
  /** DynamoDB Local's own figures (transactions x2 as bench/support/meters.ts does). */
  localWriteUnits: number;
  localReadUnits: number;
  /** Transactions cancelled by a condition (lost races): their items still cost write units on AWS. */
  cancelledTransactions: number;
  errors: Record<string, number>;
  largestItemBytes: Record<string, number>;
}

const empty = (): CapacityTally => ({
  calls: {},
  tableWriteUnits: 0,
  indexWriteUnits: {},
  readUnits: 0,
  readUnitsBy: {},
  writeUnitsBy: {},
  localWriteUnits: 0,
  localReadUnits: 0,
  cancelledTransactions: 0,
  errors: {},
  largestItemBytes: {},
});

const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnitsOf = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** The kind of item a key names (`SUB`, `INV`, `EVT`...), for the report. */
const kindOf = (item: Record<string, unknown> | undefined) => String(item?.pk ?? '?').split('#')[0] ?? '?';

export class CapacityCounter extends Tally<CapacityTally> {
  active = true;
  /** Index keys last written per item (pk|sk), for the indexes whose keys change over an item's life. */
  private readonly indexKeys = new Map<string, Record<string, string>>();

  constructor(private readonly tables: Record<string, TableDefinition>) {
    super(empty);
  }

  install(db: DynamoDBDocumentClient): void {
    countCalls(
      db,
      'benchCapacityCounter',
      {
        ok: (operation, input, output) => {
          if (this.active) this.count(operation, input, output);
          else this.remember(operation, input);
        },
        failed: (operation, input, error) => {
          if (!this.active) return;
          const name = (error as Error)?.name ?? 'Error';
          bump(this.tally.errors, `${operation}:${name}`);
          if (operation === 'TransactWriteItems' && name === 'TransactionCanceledException') {
            // A cancelled transaction is charged for its items on AWS as if it had written them.
            this.tally.cancelledTransactions++;
            for (const item of input.TransactItems ?? []) this.tableWrite(item, true, false);
          }
        },
      },
      { consumedCapacity: true },
    );
  }

  private count(operation: string, input: Record<string, any>, output: Record<string, any>): void {
    const t = this.tally;
    bump(t.calls, operation);
    const local = localUnits(operation, output.ConsumedCapacity as ConsumedCapacity[] | undefined);
    t.localWriteUnits += local.write;
    t.localReadUnits += local.read;
    switch (operation) {
      case 'TransactWriteItems':
        for (const item of input.TransactItems ?? []) this.tableWrite(item, true, true);
        break;
      case 'PutItem':
        this.tableWrite({ Put: input }, false, true);
        break;
      case 'DeleteItem':
        this.tableWrite({ Delete: input }, false, true);
        break;
      case 'UpdateItem':
        // The updated item's size is not known here: DynamoDB Local's figure, at least 1.
        t.tableWriteUnits += Math.max(1, local.write);
        bump(t.writeUnitsBy, `UpdateItem ${kindOf(input.Key)}`, Math.max(1, local.write));
        break;
      case 'BatchWriteItem':
        for (const [table, requests] of Object.entries(input.RequestItems ?? {}) as [string, Record<string, any>[]][]) {
          for (const r of requests) this.tableWrite(r.PutRequest ? { Put: { TableName: table, Item: r.PutRequest.Item } } : { Delete: { TableName: table, Key: r.DeleteRequest.Key } }, false, true);
        }
        break;
      case 'GetItem': {
        const units = readUnitsOf(output.Item ? itemSizeBytes(output.Item) : 0, input.ConsistentRead === true);
        t.readUnits += units;
        bump(t.readUnitsBy, `GetItem ${kindOf(input.Key)}${input.ConsistentRead ? ' (consistent)' : ''}`, units);
        break;
      }
      case 'BatchGetItem':
        for (const [table, items] of Object.entries(output.Responses ?? {}) as [string, Record<string, unknown>[]][]) {
          const consistent = input.RequestItems?.[table]?.ConsistentRead === true;
          for (const item of items) {
            const units = readUnitsOf(itemSizeBytes(item), consistent);
            t.readUnits += units;
            bump(t.readUnitsBy, `BatchGetItem ${kindOf(item)}`, units);
          }
        }
        break;
      case 'Query': {
        const bytes = (output.Items ?? []).reduce((n: number, item: Record<string, unknown>) => n + itemSizeBytes(item), 0);
        const units = readUnitsOf(bytes, input.ConsistentRead === true && !input.IndexName);
        bump(t.calls, `Query ${input.IndexName ?? 'table'}`);
        t.readUnits += units;
        bump(t.readUnitsBy, `Query ${input.IndexName ?? 'table'}`, units);
        break;
      }
      default:
        t.readUnits += local.read;
        t.tableWriteUnits += local.write;
        bump(t.readUnitsBy, operation, local.read);
    }
  }

  /** Outside the timed phases only the index keys are followed, so that the next phase knows them. */
  private remember(operation: string, input: Record<string, any>): void {
    const items = operation === 'TransactWriteItems' ? input.TransactItems ?? [] : operation === 'PutItem' ? [{ Put: input }] : [];
    for (const item of items) if (item.Put) this.indexWrites(item.Put.TableName, item.Put.Item, false);
  }

  private tableWrite(item: Record<string, any>, transactional: boolean, succeeded: boolean): void {
    const t = this.tally;
    const factor = transactional ? 2 : 1;
    if (item.Put) {
      const size = itemSizeBytes(item.Put.Item);
      const kind = kindOf(item.Put.Item);
      t.largestItemBytes[kind] = Math.max(t.largestItemBytes[kind] ?? 0, size);
      const units = kb(size) * factor;
      t.tableWriteUnits += units;
      bump(t.writeUnitsBy, `${transactional ? 'Transact' : ''}Put ${kind}`, units);
      if (succeeded) this.indexWrites(item.Put.TableName, item.Put.Item, true);
    } else if (item.Delete || item.Update || item.ConditionCheck) {
      const op = item.Delete ? 'Delete' : item.Update ? 'Update' : 'ConditionCheck';
      const key = (item.Delete ?? item.Update ?? item.ConditionCheck).Key;
      // Sizes unknown here; these are small items in this product (markers, checks).
      t.tableWriteUnits += factor;
      bump(t.writeUnitsBy, `${transactional ? 'Transact' : ''}${op} ${kindOf(key)}`, factor);
    }
  }

  /** Index entries a successful Put creates, replaces or removes. */
  private indexWrites(tableName: string, item: Record<string, any>, charge: boolean): void {
    const table = this.tables[tableName];
    if (!table) return;
    const id = `${item[table.partitionKey]}|${item[table.sortKey]}`;
    const previous = this.indexKeys.get(id);
    const current: Record<string, string> = {};
    let remember = previous !== undefined;
    const size = itemSizeBytes(item);
    for (const index of table.indexes) {
      const pk = item[index.partitionKey];
      const sk = item[index.sortKey];
      const now = pk !== undefined && sk !== undefined ? `${pk}|${sk}` : undefined;
      if (now !== undefined) current[index.name] = now;
      const before = previous?.[index.name];
      // Keys-only entries are followed: they are the ones whose keys move (the due index).
      if (index.projection === 'keys' && (now !== undefined || before !== undefined)) remember = true;
      if (!charge) continue;
      const entryKb = index.projection === 'keys' ? 1 : kb(size);
      let units = 0;
      if (before !== undefined && now !== undefined) units = before === now ? (index.projection === 'keys' ? 0 : entryKb) : 1 + entryKb;
      else if (now !== undefined) units = entryKb;
      else if (before !== undefined) units = 1;
      if (units) bump(this.tally.indexWriteUnits, index.name, units);
    }
    if (remember) this.indexKeys.set(id, current);
  }
}

/** Total write units of a tally (table + indexes). */
export const writeUnits = (t: CapacityTally) => t.tableWriteUnits + Object.values(t.indexWriteUnits).reduce((a, b) => a + b, 0);
