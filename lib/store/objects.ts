import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { keysFor, listPosition, modeOf, type Key, type Mode, type ModeKeys, type ObjectKind } from './keys';
import { mainTable } from './resources';
import { batchGetItems, cancellationReasons, isConditionFailure, queryAll, type TransactItem } from './dynamo';
import { NotFoundError } from '../errors';

/** The items of one DynamoDB transaction. */
export type TransactItems = TransactItem[];

/** Every API object has these; the rest is the object's own shape. */
export interface StoredObject {
  id: string;
  /** Unix seconds (v1 objects) or an RFC 3339 time (v2 objects). */
  created: number | string;
  /** The object's mode, which its keys carry. */
  livemode: boolean;
}

/** A deletion record: what a deleted object's GET shows (no mode of its own; it keeps its key). */
export interface DeletionRecord {
  id: string;
  created: number | string;
  deleted: true;
}

/** Creation time in Unix seconds, the sort order of every list. */
export function createdSeconds(object: StoredObject): number {
  return typeof object.created === 'number' ? object.created : Math.floor(Date.parse(object.created) / 1000);
}

/** A condition on the stored item beside its existence, with the names and values it uses. */
export interface ExtraCondition {
  condition: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export interface ListFilter {
  name: string;
  value: string;
}

export interface ListQuery<T = StoredObject> {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  /** Served by the byFilter index. */
  filter?: ListFilter;
  /** Served by the byOwner index (takes precedence over `filter`, which then becomes a match). */
  owner?: string;
  /** Served by the byClock index: the objects on one test clock (`filter` then becomes a match). */
  clock?: string;
  /** Further conditions checked on each object read from the index (never a scan: the index query bounds the read). */
  match?: (object: T) => boolean;
}

/** Stripe's paging of a list: limit 1..100, at most one cursor. */
export type PageQuery = Pick<ListQuery, 'limit' | 'startingAfter' | 'endingBefore'>;

/** A bound on an index's sort key, or (`between`) an inclusive window `value`..`to`. */
export type IndexRange = { op: '<' | '<=' | '>'; value: string } | { op: 'between'; value: string; to: string };

/** Inclusive bounds on creation time (Unix seconds), from a `created` filter. */
export interface CreatedRange {
  from?: number;
  to?: number;
}

export interface ListPage<T> {
  data: T[];
  hasMore: boolean;
}

/** Kinds also listed under their test clock (byClock), for a clock's page. */
const CLOCK_LISTED = new Set<ObjectKind>(['subscription', 'invoice']);

/**
 * The item that stores `object`, with the keys that place it in its lists: every object is in
 * its kind's list, and optionally in one filtered list (byFilter) and one owner's list (byOwner).
 */
export function objectItem(kind: ObjectKind, object: StoredObject, filter?: ListFilter, owner?: string) {
  const keys = keysFor(modeOf(object.livemode));
  const created = createdSeconds(object);
  const filterKeys = filter ? keys.filterList(kind, filter.name, filter.value, created, object.id) : {};
  const ownerKeys = owner ? keys.ownerList(kind, owner, created, object.id) : {};
  const clock = CLOCK_LISTED.has(kind) ? (object as { test_clock?: string | null }).test_clock : undefined;
  const clockKeys = clock ? keys.clockList(kind, clock, created, object.id) : {};
  return {
    ...keys.object(kind, object.id),
    ...keys.kindList(kind, created, object.id),
    ...filterKeys,
    ...ownerKeys,
    ...clockKeys,
    object,
  };
}

function rangeCondition(sortKey: string, range: IndexRange | undefined): string {
  if (!range) return '';
  return range.op === 'between' ? ` AND ${sortKey} BETWEEN :r AND :to` : ` AND ${sortKey} ${range.op} :r`;
}

function rangeValues(range: IndexRange | undefined): Record<string, string> {
  if (!range) return {};
  return range.op === 'between' ? { ':r': range.value, ':to': range.to } : { ':r': range.value };
}

/** DynamoDB's limits on a partition key (2,048 bytes) and a sort key (1,024 bytes). */
function fitsKey(key: Key): boolean {
  return Buffer.byteLength(key.pk) <= 2048 && Buffer.byteLength(key.sk) <= 1024;
}

const indexNamed = (name: string) => mainTable.indexes.find((index) => index.name === name)!;

/**
 * Repository of API objects in the main table: one item per object, listed newest first through
 * the byKind and byFilter indexes. Lists query an index; nothing scans the table.
 */
export class ObjectStore {
  /** The keys of this store's mode: every read, list and write goes through them. */
  readonly keys: ModeKeys;

  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly mode: Mode,
  ) {
    this.keys = keysFor(mode);
  }

  /** The deletion record of an object: its key and the record, without list keys (so no list shows it). */
  tombstoneItem(kind: ObjectKind, record: DeletionRecord) {
    return { ...this.keys.object(kind, record.id), object: record };
  }

  async get<T extends { id: string }>(kind: ObjectKind, id: string, consistent = false): Promise<T | undefined> {
    return (await this.getItem(this.keys.object(kind, id), consistent))?.object as T | undefined;
  }

  /** The object, or NotFoundError naming it as the API does (`No such event: 'evt_…'`). */
  async require<T extends { id: string }>(kind: ObjectKind, id: string, name: string = kind): Promise<T> {
    const object = await this.get<T>(kind, id);
    if (!object) throw new NotFoundError(name, id);
    return object;
  }

  /** A raw item by key (for the few items that are not API objects). */
  async getItem(key: Key, consistent = false): Promise<Record<string, unknown> | undefined> {
    // No item has a key past DynamoDB's limit: an id that long (from a path or a parameter) names nothing.
    if (!fitsKey(key)) return undefined;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }));
    return Item;
  }

  /** Raw items by key, in one BatchGetItem per 100 (missing ones are simply absent). */
  getItems(itemKeys: readonly Key[], consistent = false): Promise<Record<string, unknown>[]> {
    return batchGetItems(this.db, this.tableName, itemKeys.filter(fitsKey), consistent);
  }

  /** Objects of one kind by id; missing ids are simply absent. */
  async getMany<T extends { id: string }>(kind: ObjectKind, ids: readonly string[]): Promise<T[]> {
    const items = await batchGetItems(this.db, this.tableName, ids.map((id) => this.keys.object(kind, id)).filter(fitsKey));
    return items.map((item) => item.object as T);
  }

  /**
   * Writes a new object; false when an object with that id already exists. `also` are written in
   * the same transaction (the event that records the creation).
   */
  create(kind: ObjectKind, object: StoredObject, filter?: ListFilter, owner?: string, also: TransactItems = []): Promise<boolean> {
    return this.putItem(objectItem(kind, object, filter, owner), 'attribute_not_exists(pk)', also);
  }

  /**
   * Replaces an existing object (and writes `also` with it); false when it no longer exists, or
   * when the stored item does not meet `unless` (a further condition, such as an unchanged counter).
   */
  replace(kind: ObjectKind, object: StoredObject, filter?: ListFilter, owner?: string, also: TransactItems = [], unless?: ExtraCondition): Promise<boolean> {
    const condition = unless ? `attribute_exists(pk) AND (${unless.condition})` : 'attribute_exists(pk)';
    return this.putItem(objectItem(kind, object, filter, owner), condition, also, unless);
  }

  /**
   * Writes a raw item on `condition` (for the few items that are not plain API objects), with
   * `also` in the same transaction; false when a condition failed.
   */
  async putItem(item: Record<string, unknown>, condition: string, also: TransactItems = [], expression?: Omit<ExtraCondition, 'condition'>): Promise<boolean> {
    const put = {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: condition,
      ExpressionAttributeNames: expression?.names,
      ExpressionAttributeValues: expression?.values,
    };
    if (also.length > 0) return this.transact([{ Put: put }, ...also]);
    try {
      await this.db.send(new PutCommand(put));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Replaces the object with a deletion record that is no longer listed (and writes `also` with it). */
  async tombstone(kind: ObjectKind, record: DeletionRecord, also: TransactItems = []): Promise<void> {
    const put = { TableName: this.tableName, Item: this.tombstoneItem(kind, record) };
    if (also.length === 0) await this.db.send(new PutCommand(put));
    else if (!(await this.transact([{ Put: put }, ...also]))) throw new Error(`The deletion of ${record.id} was not recorded`);
  }

  /** Runs a transaction; false when one of its conditions failed. */
  async transact(items: TransactItems): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (cancellationReasons(error)?.includes('ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  /**
   * A page of objects of `kind`, newest first. Cursors are object ids: the cursor object's
   * position is read once, then the index is queried from there. With `match`, index pages are
   * read until the page is full or the index range ends.
   */
  async list<T extends StoredObject>(kind: ObjectKind, query: ListQuery<T>): Promise<ListPage<T>> {
    const { index, partition } = this.listIndex(kind, query);
    const filter = query.owner !== undefined || query.clock !== undefined ? query.filter : undefined;
    const match = (object: T) =>
      (!filter || (object as unknown as Record<string, unknown>)[filter.name] === filter.value) && (query.match?.(object) ?? true);
    const cursorId = query.startingAfter ?? query.endingBefore;
    const forward = query.endingBefore !== undefined;
    let range: IndexRange | undefined;
    if (cursorId !== undefined) {
      const cursor = await this.get<StoredObject>(kind, cursorId);
      if (!cursor) throw new NotFoundError(kind, cursorId, query.startingAfter ? 'starting_after' : 'ending_before');
      range = { op: forward ? '>' : '<', value: listPosition(createdSeconds(cursor), cursor.id) };
    }
    const found: T[] = [];
    const filtered = Boolean(query.match || filter);
    const pages = this.indexEntries(index.name, partition, { range, forward, pageSize: filtered ? 100 : query.limit + 1 });
    for await (const entries of pages) {
      for (const object of await this.objectsAt(entries)) {
        if (match(object as T)) found.push(object as T);
      }
      if (!filtered || found.length > query.limit) break;
    }
    const hasMore = found.length > query.limit;
    const page = found.slice(0, query.limit);
    // ending_before walks towards newer objects; the page is still shown newest first.
    if (forward) page.reverse();
    return { data: page, hasMore };
  }

  /**
   * A page of objects of `kind` from several lists at once (objects with any of several filter
   * values, such as events of several types; the kind's whole list without filters), newest
   * first, optionally only those created within `created`. Each list is queried for at most one
   * page from the cursor on, and the pages are merged by list position.
   */
  async listAcross<T extends StoredObject>(
    kind: ObjectKind,
    filters: readonly ListFilter[] | undefined,
    query: Pick<ListQuery, 'limit' | 'startingAfter' | 'endingBefore'> & { created?: CreatedRange },
  ): Promise<ListPage<T>> {
    const index = indexNamed(filters ? 'byFilter' : 'byKind');
    const partitions = filters
      ? filters.map((f) => this.keys.filterListPartition(kind, f.name, f.value))
      : [this.keys.kindListPartition(kind)];
    let from = query.created?.from !== undefined ? listPosition(query.created.from, '') : '0';
    let to = query.created?.to !== undefined ? listPosition(query.created.to, '~') : '~';
    const cursorId = query.startingAfter ?? query.endingBefore;
    const forward = query.endingBefore !== undefined;
    let cursor: string | undefined;
    if (cursorId !== undefined) {
      const object = await this.get<StoredObject>(kind, cursorId);
      if (!object) throw new NotFoundError(kind, cursorId, query.startingAfter ? 'starting_after' : 'ending_before');
      cursor = listPosition(createdSeconds(object), object.id);
      if (forward) from = cursor > from ? cursor : from;
      else to = cursor < to ? cursor : to;
    }
    if (from > to) return { data: [], hasMore: false };
    const wanted = query.limit + 1;
    const position = (entry: Record<string, unknown>) => String(entry[index.sortKey]);
    const perList = await Promise.all(
      partitions.map(async (partition) => {
        const found: Record<string, unknown>[] = [];
        const range: IndexRange = { op: 'between', value: from, to };
        for await (const entries of this.indexEntries(index.name, partition, { range, forward, pageSize: wanted + 1 })) {
          // The window is inclusive; the cursor itself is not part of the page.
          found.push(...entries.filter((entry) => position(entry) !== cursor));
          if (found.length >= wanted) break;
        }
        return found;
      }),
    );
    const merged = perList
      .flat()
      .sort((a, b) => (forward ? 1 : -1) * (position(a) < position(b) ? -1 : position(a) > position(b) ? 1 : 0))
      .slice(0, wanted);
    const objects = (await this.objectsAt(merged)) as T[];
    const page = objects.slice(0, query.limit);
    if (forward) page.reverse();
    return { data: page, hasMore: objects.length > query.limit };
  }

  /**
   * The entries of one index partition (keys only), a page at a time, in sort-key order
   * (ascending; descending with `forward: false`), optionally only those whose sort key is in `range`.
   */
  async *indexEntries(
    indexName: string,
    partition: string,
    options: { range?: IndexRange; forward?: boolean; pageSize?: number } = {},
  ): AsyncGenerator<Record<string, unknown>[]> {
    const index = indexNamed(indexName);
    const { range, forward = true, pageSize } = options;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: `${index.partitionKey} = :p${rangeCondition(index.sortKey, range)}`,
          ExpressionAttributeValues: { ':p': partition, ...rangeValues(range) },
          ScanIndexForward: forward,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      if (out.Items?.length) yield out.Items;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  /** Every item of one table partition (a small one: counters, shards), read consistently. */
  partitionItems(partition: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': partition },
      ConsistentRead: true,
    });
  }

  /** Every object a list query matches, a page of 100 at a time. */
  async *pages<T extends StoredObject>(kind: ObjectKind, query: Omit<ListQuery<T>, 'limit' | 'startingAfter' | 'endingBefore'>): AsyncGenerator<T[]> {
    let startingAfter: string | undefined;
    do {
      const page = await this.list<T>(kind, { ...query, limit: 100, startingAfter });
      if (page.data.length) yield page.data;
      startingAfter = page.hasMore ? page.data.at(-1)?.id : undefined;
    } while (startingAfter);
  }

  /**
   * The objects behind index entries, in index order. The list indexes copy keys only (an
   * object is written once, not once per list), so a page costs one BatchGetItem; an entry
   * whose object was deleted in the meantime (the index lags the table) is skipped.
   */
  private async objectsAt(entries: readonly Record<string, unknown>[]): Promise<StoredObject[]> {
    const items = await batchGetItems(this.db, this.tableName, entries.map((entry) => ({ pk: entry.pk, sk: entry.sk })));
    const byPk = new Map(items.map((item) => [String(item.pk), item.object as StoredObject & { deleted?: true }]));
    return entries.flatMap((entry) => {
      const object = byPk.get(String(entry.pk));
      return object && !object.deleted ? [object] : [];
    });
  }

  private listIndex(kind: ObjectKind, query: ListQuery<never>) {
    if (query.owner !== undefined) return { index: indexNamed('byOwner'), partition: this.keys.ownerListPartition(kind, query.owner) };
    if (query.clock !== undefined) return { index: indexNamed('byClock'), partition: this.keys.clockListPartition(kind, query.clock) };
    if (query.filter !== undefined) {
      return { index: indexNamed('byFilter'), partition: this.keys.filterListPartition(kind, query.filter.name, query.filter.value) };
    }
    return { index: indexNamed('byKind'), partition: this.keys.kindListPartition(kind) };
  }
}
