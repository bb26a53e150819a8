import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLAIM_RETENTION_SECONDS } from '../../lib/metering/usage-table';
import { createDocumentClient, exactNumber } from '../../lib/store/dynamo';
import { keysFor } from '../../lib/store/keys';

const keys = keysFor('test');
import { usageTable } from '../../lib/store/resources';
import { createTableInput } from '../../lib/local/bootstrap';
import { units } from './meters';
import { runPool } from './pool';

export interface FloorResult {
  items: number;
  seconds: number;
  itemsPerSecond: number;
  writeUnits: number;
  calls: number;
  unprocessedRetries: number;
}

/** An item of the same shape and size as a claim item (see UsageStore.claimMany). */
export function claimLikeItem(identifier: string, meterId: string, customerId: string, value: string, ts: number, nowMs: number) {
  return {
    ...keys.eventClaim(identifier),
    identifier,
    event_name: 'bench_tokens',
    meter: meterId,
    customer: customerId,
    formula: 'sum',
    ts,
    value: exactNumber(value),
    chunk: `${randomUUID()}.1`,
    claimed_ms: nowMs,
    received: Math.floor(nowMs / 1000),
    expires_at: Math.floor(nowMs / 1000) + CLAIM_RETENTION_SECONDS,
  };
}

export interface FloorOptions {
  endpoint: string;
  region: string;
  count: number;
  concurrency: number;
  meterId: string;
  customerIds: readonly string[];
  makeValue: () => string;
}

/**
 * Runs `use` on a fresh table named `<prefix>-<random>` with the usage table's definition
 * (lib/store/resources.ts) in the same DynamoDB Local, then deletes it.
 */
async function withScratchUsageTable<T>(options: FloorOptions, prefix: string, use: (db: DynamoDBDocumentClient, tableName: string) => Promise<T>): Promise<T> {
  const admin = new DynamoDBClient({ endpoint: options.endpoint, region: options.region });
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  // The usage table's keys and indexes, without its stream: on DynamoDB Local every write to a
  // streamed table appends to one shared stream store, and each append looks up the shard's last
  // sequence number in it, which slows as the store grows (on AWS a stream costs a write nothing).
  await admin.send(new CreateTableCommand({ ...createTableInput(usageTable, tableName), StreamSpecification: undefined }));
  const db = createDocumentClient({ endpoint: options.endpoint, region: options.region });
  const result = await use(db, tableName);
  await admin.send(new DeleteTableCommand({ TableName: tableName }));
  admin.destroy();
  db.destroy();
  return result;
}

/**
 * A second reference: the same items, each with its own conditional PutItem (what a claim is),
 * `concurrency` calls in flight. It shows what one conditional write per event costs on
 * DynamoDB Local, independent of the rest of the pipeline.
 */
export function runConditionalFloor(options: FloorOptions): Promise<FloorResult> {
  return withScratchUsageTable(options, 'bench-cfloor', async (db, tableName) => {
    const run = randomUUID().slice(0, 8);
    let writeUnits = 0;
    const t0 = performance.now();
    await runPool(options.count, options.concurrency, async (n) => {
      const nowMs = Date.now();
      const customer = options.customerIds[n % options.customerIds.length]!;
      const out = await db.send(
        new PutCommand({
          TableName: tableName,
          Item: claimLikeItem(`cfloor_${run}_${n}`, options.meterId, customer, options.makeValue(), Math.floor(nowMs / 1000), nowMs),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      writeUnits += units('PutItem', out.ConsumedCapacity).write;
    });
    const seconds = (performance.now() - t0) / 1000;
    return { items: options.count, seconds, itemsPerSecond: options.count / seconds, writeUnits, calls: options.count, unprocessedRetries: 0 };
  });
}

/**
 * The floor: `count` unique claim-sized items written straight to a fresh table in the same
 * DynamoDB Local with BatchWriteItem (25 per call), `concurrency` calls in flight.
 */
export function runFloor(options: FloorOptions): Promise<FloorResult> {
  return withScratchUsageTable(options, 'bench-floor', async (db, tableName) => {
    let writeUnits = 0;
    const run = randomUUID().slice(0, 8);
    const batches = Math.ceil(options.count / 25);
    let calls = 0;
    let unprocessedRetries = 0;
    const t0 = performance.now();
    await runPool(batches, options.concurrency, async (b) => {
      const nowMs = Date.now();
      const ts = Math.floor(nowMs / 1000);
      const size = Math.min(25, options.count - b * 25);
      let requests = Array.from({ length: size }, (_, i) => {
        const n = b * 25 + i;
        const customer = options.customerIds[Math.floor(Math.random() * options.customerIds.length)]!;
        return { PutRequest: { Item: claimLikeItem(`floor_${run}_${n}`, options.meterId, customer, options.makeValue(), ts, nowMs) } };
      });
      for (let attempt = 0; requests.length; attempt++) {
        if (attempt > 0) {
          unprocessedRetries++;
          await sleep(Math.min(1000, 10 * 2 ** attempt));
        }
        calls++;
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests }, ReturnConsumedCapacity: 'TOTAL' }));
        writeUnits += units('BatchWriteItem', out.ConsumedCapacity).write;
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    return { items: options.count, seconds, itemsPerSecond: options.count / seconds, writeUnits, calls, unprocessedRetries };
  });
}
