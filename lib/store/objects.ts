import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { keys, type Key, type ObjectKind } from './keys';
import { mainTable } from './resources';
import { batchGetItems, isConditionFailure } from './dynamo';
import { NotFoundError } from '../errors';

/** Every API object has these; the rest is the object's own shape. */
export interface StoredObject {
  id: string;
  /** Unix seconds (v1 objects) or an RFC 3339 time (v2 objects). */
  created: number | string;
}

/** Creation time in Unix seconds, the sort order of every list. */
export function createdSeconds(object: StoredObject): number {
  return typeof object.created === 'number' ? object.created : Math.floor(Date.parse(object.created) / 1000);
}

export interface ListFilter {
  name: string;
  value: string;
}

export interface ListQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  filter?: ListFilter;
}

export interface ListPage<T> {
  data: T[];
  hasMore: boolean;
}

/** The item that stores `object`, with the keys that place it in its lists (the byFilter index holds one filter). */
export function objectItem(kind: ObjectKind, object: StoredObject, filter?: ListFilter) {
  const created = createdSeconds(object);
  const filterKeys = filter ? keys.filterList(kind, filter.name, filter.value, created, object.id) : {};
  return {
    ...keys.object(kind, object.id),
    ...keys.kindList(kind, created, object.id),
    ...filterKeys,
    object,
  };
}

/**
 * Repository of API objects in the main table: one item per object, listed newest first through
 * the byKind and byFilter indexes. Lists query an index; nothing scans the table.
 */
export class ObjectStore {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get<T extends StoredObject>(kind: ObjectKind, id: string): Promise<T | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.object(kind, id) }),
    );
    return Item?.object as T | undefined;
  }

  /** A raw item by key (for the few items that are not API objects). */
  async getItem(key: Key, consistent = false): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }));
    return Item;
  }

  /** Objects of one kind by id; missing ids are simply absent. */
  async getMany<T extends StoredObject>(kind: ObjectKind, ids: readonly string[]): Promise<T[]> {
    const items = await batchGetItems(this.db, this.tableName, ids.map((id) => keys.object(kind, id)));
    return items.map((item) => item.object as T);
  }

  /** Writes a new object; false when an object with that id already exists. */
  create(kind: ObjectKind, object: StoredObject, filter?: ListFilter): Promise<boolean> {
    return this.putIf(objectItem(kind, object, filter), 'attribute_not_exists(pk)');
  }

  /** Replaces an existing object; false when it no longer exists. */
  replace(kind: ObjectKind, object: StoredObject, filter?: ListFilter): Promise<boolean> {
    return this.putIf(objectItem(kind, object, filter), 'attribute_exists(pk)');
  }

  private async putIf(item: Record<string, unknown>, condition: string): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: condition }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Replaces the object with a deletion record that is no longer listed. */
  async tombstone(kind: ObjectKind, record: StoredObject & { deleted: true }): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.object(kind, record.id), object: record } }),
    );
  }

  /** Runs a transaction; false when one of its conditions failed. */
  async transact(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') {
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if (reasons?.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
      }
      throw error;
    }
  }

  /**
   * A page of objects of `kind`, newest first. Cursors are object ids: the cursor object's
   * position is read once, then the index is queried from there.
   */
  async list<T extends StoredObject>(kind: ObjectKind, query: ListQuery): Promise<ListPage<T>> {
    const byFilter = query.filter !== undefined;
    const index = mainTable.indexes[byFilter ? 1 : 0]!;
    const partition = byFilter
      ? keys.filterListPartition(kind, query.filter!.name, query.filter!.value)
      : keys.kindListPartition(kind);
    const cursorId = query.startingAfter ?? query.endingBefore;
    const forward = query.endingBefore !== undefined;
    let range = '';
    const values: Record<string, unknown> = { ':p': partition };
    if (cursorId !== undefined) {
      const cursor = await this.get(kind, cursorId);
      if (!cursor) throw new NotFoundError(kind, cursorId, query.startingAfter ? 'starting_after' : 'ending_before');
      values[':c'] = keys.listPosition(createdSeconds(cursor), cursor.id);
      range = ` AND ${index.sortKey} ${forward ? '>' : '<'} :c`;
    }
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: `${index.partitionKey} = :p${range}`,
        ExpressionAttributeValues: values,
        ScanIndexForward: forward,
        Limit: query.limit + 1,
      }),
    );
    const hasMore = Items.length > query.limit;
    const page = Items.slice(0, query.limit).map((item) => item.object as T);
    // ending_before walks towards newer objects; the page is still shown newest first.
    if (forward) page.reverse();
    return { data: page, hasMore };
  }
}
