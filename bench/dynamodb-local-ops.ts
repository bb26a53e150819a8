/**
 * `npx tsx bench/dynamodb-local-ops.ts`: what each kind of DynamoDB write costs on DynamoDB
 * Local, per item, in throughput and in CPU of the Java process and of the Node client. It
 * explains the ratio that `npm run bench` reports (see docs/performance.md). Three rounds: the
 * first warms the JVM up; read the last one.
 */
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_REGION, startDynamoDbLocal, useLocalCredentials } from '../lib/local/emulators';
import { childPids, procCpuSeconds } from './support/meters';
import { runPool } from './support/pool';
import { table } from './support/cost';

const N = Number(process.env.OPS_ITEMS ?? 10_000);
const ROUNDS = Number(process.env.OPS_ROUNDS ?? 3);

/** An item of the size and shape of a claim (UsageStore.claim). */
const claim = (id: string): Record<string, AttributeValue> => ({
  pk: { S: `EVENT#${id}` },
  sk: { S: 'CLAIM' },
  identifier: { S: id },
  event_name: { S: 'bench_tokens' },
  meter: { S: 'mtr_gLgoi7bXypn5Gt2vJtQ1sVXY' },
  customer: { S: 'cus_gLgoi7bXypn5Gt2vJtQ1sVXY' },
  formula: { S: 'sum' },
  ts: { N: '1763719200' },
  value: { N: '12.345' },
  chunk: { S: 'c1b0b3f2-3a7b-4c1e-9d7e-1b2c3d4e5f60.1' },
  claimed_ms: { N: '1763719200123' },
  received: { N: '1763719200' },
  expires_at: { N: '1767175200' },
});
const names = Object.keys(claim('x'));

async function main() {
  useLocalCredentials();
  const dynamo = await startDynamoDbLocal();
  const java = childPids('java')[0] ?? 0;
  const db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION });
  const rows: (string | number)[][] = [];
  try {
    await db.send(
      new CreateTableCommand({
        TableName: 'ops',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const insert = `INSERT INTO "ops" VALUE {${names.map((n) => `'${n}': ?`).join(', ')}}`;
    const measure = async (round: number, label: string, fn: () => Promise<void>) => {
      const java0 = procCpuSeconds(java);
      const node0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      const seconds = (performance.now() - t0) / 1000;
      const node = process.cpuUsage(node0);
      const javaSeconds = procCpuSeconds(java) - java0;
      rows.push([
        round,
        label,
        Math.round(N / seconds),
        ((javaSeconds * 1000) / N).toFixed(3),
        ((node.user + node.system) / 1000 / N).toFixed(3),
        (javaSeconds / seconds).toFixed(2),
      ]);
    };
    for (let r = 1; r <= ROUNDS; r++) {
      await measure(r, 'PutItem, conditional (64 in flight)', () =>
        runPool(N, 64, async (i) => {
          await db.send(new PutItemCommand({ TableName: 'ops', Item: claim(`p${r}_${i}`), ConditionExpression: 'attribute_not_exists(pk)' }));
        }),
      );
      await measure(r, 'BatchWriteItem, 25 per call (16)', () =>
        runPool(N / 25, 16, async (b) => {
          await db.send(
            new BatchWriteItemCommand({ RequestItems: { ops: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: claim(`b${r}_${b}_${j}`) } })) } }),
          );
        }),
      );
      await measure(r, 'PartiQL INSERT, 25 per batch (16)', () =>
        runPool(N / 25, 16, async (b) => {
          const out = await db.send(
            new BatchExecuteStatementCommand({
              Statements: Array.from({ length: 25 }, (_, j) => {
                const item = claim(`q${r}_${b}_${j}`);
                return { Statement: insert, Parameters: names.map((n) => item[n]!) };
              }),
            }),
          );
          const failed = out.Responses?.find((x) => x.Error);
          if (failed) throw new Error(JSON.stringify(failed.Error));
        }),
      );
      await measure(r, 'Transact, 100 conditional Puts (4)', () =>
        runPool(N / 100, 4, async (b) => {
          await db.send(
            new TransactWriteItemsCommand({
              TransactItems: Array.from({ length: 100 }, (_, j) => ({
                Put: { TableName: 'ops', Item: claim(`t${r}_${b}_${j}`), ConditionExpression: 'attribute_not_exists(pk)' },
              })),
            }),
          );
        }),
      );
      await measure(r, 'Transact, marker + 99 ADD updates (4)', () =>
        runPool(N / 100, 4, async (b) => {
          await db.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                { Put: { TableName: 'ops', Item: { pk: { S: `APPLIED#${r}_${b}` }, sk: { S: 'MARKER' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
                ...Array.from({ length: 99 }, (_, j) => ({
                  Update: {
                    TableName: 'ops',
                    Key: { pk: { S: `USAGE#m#c${(b * 7 + j * 13) % 1000}` }, sk: { S: 'HOUR#1' } },
                    UpdateExpression: 'ADD h :v, m01 :v',
                    ExpressionAttributeValues: { ':v': { N: '1.25' } },
                  },
                })),
              ],
            }),
          );
        }),
      );
      await measure(r, 'BatchGetItem, 100 consistent (8)', () =>
        runPool(N / 100, 8, async (b) => {
          await db.send(
            new BatchGetItemCommand({
              RequestItems: {
                ops: { ConsistentRead: true, Keys: Array.from({ length: 100 }, (_, j) => ({ pk: { S: `EVENT#p${r}_${b * 100 + j}` }, sk: { S: 'CLAIM' } })) },
              },
            }),
          );
        }),
      );
    }
  } finally {
    db.destroy();
    await dynamo.stop();
  }
  console.log(table(['round', 'operation (calls in flight)', 'items/s', 'Java ms/item', 'Node ms/item', 'Java cores'], rows));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
