import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, NumberValue, QueryCommand, type QueryCommandInput, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BACKOFF, backoffMs, sleep } from '../domain/retry';

/**
 * Numbers a JS number holds exactly (its text round-trips: `10`, `10.75`) come back as JS
 * numbers, so API objects read back as they were written; anything else (more digits than a
 * double keeps) stays exact text. Usage values are read through `String(...)` either way.
 */
function readNumber(text: string): number | string {
  const n = Number(text);
  return /^-?\d+(\.\d+)?$/.test(text) && String(n) === text ? n : text;
}

/** One item of a DynamoDB transaction (a Put, Update, Delete or ConditionCheck). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A DynamoDB number written from exact decimal text. */
export function exactNumber(text: string): NumberValue {
  return NumberValue.from(text);
}

export interface DynamoOptions {
  endpoint?: string;
  region?: string;
}

/** Creates the document client once per container; numbers read back exactly. */
export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 6,
  });
  return DynamoDBDocumentClient.from(client, {
    // A map whose own key is named `constructor` (metadata sent as JSON) is still a map, not a class instance.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    unmarshallOptions: { wrapNumbers: readNumber },
  });
}

/**
 * The item a failed conditional write returned (ReturnValuesOnConditionCheckFailure), read
 * like the document client reads items. The exception carries it in wire format.
 */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  const item = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return item ? unmarshall(item, { wrapNumbers: readNumber }) : undefined;
}

/** True when `error` is DynamoDB's answer to a failed condition. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The per-item reasons of a cancelled transaction ('ConditionalCheckFailed', 'None', ...); undefined for any other error. */
export function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code);
}

/**
 * Every item of `itemKeys` that exists, 100 keys per BatchGetItem, retrying unprocessed keys
 * with backoff. Missing items are simply absent from the result.
 */
export async function batchGetItems(
  db: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: readonly Record<string, unknown>[],
  consistent = false,
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let i = 0; i < itemKeys.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [tableName]: { Keys: itemKeys.slice(i, i + 100), ConsistentRead: consistent },
    };
    for (let attempt = 0; request && Object.keys(request).length; attempt++) {
      if (attempt > 0) await sleep(backoffMs(BACKOFF.unprocessed, attempt));
      const out = await db.send(new BatchGetCommand({ RequestItems: request }));
      found.push(...(out.Responses?.[tableName] ?? []));
      request = out.UnprocessedKeys as typeof request;
    }
  }
  return found;
}

/** Every item a Query matches, page after page (for small, bounded partitions and ranges). */
export async function queryAll(db: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The condition of a versioned write: that the item does not exist yet (`expected` null) or is still at version `expected`. */
export function versionCondition(expected: number | null) {
  return expected === null
    ? { ConditionExpression: 'attribute_not_exists(pk)' }
    : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expected } };
}

/** The condition of rewriting a versioned list item read at `version` (0: the item did not exist yet). */
export function listVersionCondition(version: number) {
  return versionCondition(version === 0 ? null : version);
}
