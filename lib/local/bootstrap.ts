import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mainTable, queues, tables, type QueueDefinition, type TableDefinition } from '../store/resources';
import { accountKeys, DATA_VERSION } from '../store/keys';

/** CreateTable input for a table definition: on-demand, string keys, each index projected as defined. */
function streamSpecification(definition: TableDefinition) {
  if (!definition.stream) return undefined;
  return { StreamEnabled: true, StreamViewType: definition.stream === 'new_image' ? 'NEW_IMAGE' : 'NEW_AND_OLD_IMAGES' } as const;
}

export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Set([definition.partitionKey, definition.sortKey]);
  for (const index of definition.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: definition.indexes.length
      ? definition.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection === 'keys' ? 'KEYS_ONLY' : 'ALL' },
        }))
      : undefined,
    StreamSpecification: streamSpecification(definition),
  };
}

export interface LocalResources {
  /** Table definition id -> physical name. */
  tableNames: Record<string, string>;
  /** Queue definition id -> URL; the DLQ under `<id>Dlq`. */
  queueUrls: Record<string, string>;
}

/** Creates the tables (if missing) in DynamoDB Local, with TTL on; `created` names the ones it created. */
export async function ensureTables(
  client: DynamoDBClient,
  prefix: string,
  withoutStream: ReadonlySet<string> = new Set(),
): Promise<{ names: Record<string, string>; created: Set<string> }> {
  const names: Record<string, string> = {};
  const created = new Set<string>();
  for (const table of tables) {
    // A stack that runs no consumer of a table's stream creates the table without one.
    const definition: TableDefinition = withoutStream.has(table.id) ? { ...table, stream: undefined } : table;
    const name = `${prefix}-${definition.id}`;
    names[definition.id] = name;
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      // Data kept from before the table had a stream (npm start with a data directory).
      if (definition.stream && !Table?.StreamSpecification?.StreamEnabled) {
        await client.send(new UpdateTableCommand({ TableName: name, StreamSpecification: streamSpecification(definition) }));
      }
      // ...or before an index was added (one per update, as DynamoDB allows).
      const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      const wanted = createTableInput(definition, name);
      for (const index of wanted.GlobalSecondaryIndexes ?? []) {
        if (present.has(index.IndexName)) continue;
        const keyNames = new Set(index.KeySchema!.map((key) => key.AttributeName));
        await client.send(
          new UpdateTableCommand({
            TableName: name,
            AttributeDefinitions: wanted.AttributeDefinitions!.filter((attribute) => keyNames.has(attribute.AttributeName)),
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
        );
      }
      continue;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    await client.send(new CreateTableCommand(createTableInput(definition, name)));
    created.add(definition.id);
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
      }),
    );
  }
  return { names, created };
}

/** Data kept in a local data folder that this version cannot read as it is. */
export class DataVersionError extends Error {}

/**
 * Makes sure the main table holds data this version reads: a new table gets the current data
 * version; a kept one must carry it. Data from before test and live mode had keys of their own
 * (version 1, no version item) is never mixed in or lost: start refuses, saying what to do.
 */
export async function checkDataVersion(client: DynamoDBClient, tableName: string, createdNow: boolean, dataDir?: string): Promise<void> {
  const key = accountKeys.dataVersion();
  const marker = { pk: { S: key.pk }, sk: { S: key.sk } };
  if (!createdNow) {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: marker, ConsistentRead: true }));
    const version = Item?.version?.N ? Number(Item.version.N) : undefined;
    if (version === DATA_VERSION) return;
    if (version !== undefined && version > DATA_VERSION) {
      throw new DataVersionError(`The local data${dataDir ? ` in ${dataDir}` : ''} was written by a newer Meterline (data version ${version}; this one reads ${DATA_VERSION}). Update Meterline, or start with another METERLINE_DATA_DIR.`);
    }
    // A table without the version item: empty (kept from an interrupted first start), or version 1 data.
    const { Count } = await client.send(new ScanCommand({ TableName: tableName, Limit: 1, Select: 'COUNT' }));
    if (Count) {
      throw new DataVersionError(
        `The local data${dataDir ? ` in ${dataDir}` : ''} was written by an earlier Meterline, in which test and live mode shared their objects. ` +
          'This version keeps the two modes apart in its storage keys and cannot read that data, and will not mix or change it. ' +
          `To start afresh, move the folder away (for example: mv ${dataDir ?? '<data folder>'} ${dataDir ?? '<data folder>'}-v1) and run npm start again; ` +
          'or keep running the earlier version on it by setting METERLINE_DATA_DIR to another folder for this one.',
      );
    }
  }
  await client.send(new PutItemCommand({ TableName: tableName, Item: { ...marker, version: { N: String(DATA_VERSION) } } }));
}

/** Creates a queue and its dead-letter queue with the definition's redrive policy. */
export async function ensureQueue(
  client: SQSClient,
  definition: QueueDefinition,
  name: string,
  overrides: { visibilityTimeoutSeconds?: number } = {},
): Promise<{ url: string; dlqUrl: string }> {
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(definition.deadLetterRetentionSeconds) },
    }),
  );
  const dlqArn = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? definition.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(definition.retentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn.Attributes!.QueueArn,
          maxReceiveCount: definition.maxReceiveCount,
        }),
      },
    }),
  );
  return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/**
 * Every table and queue of the stack, created from the shared definitions. Tests shorten the
 * visibility timeout of some queues (keyed by queue definition id) to see retries sooner.
 */
export async function bootstrap(
  dynamo: DynamoDBClient,
  sqs: SQSClient,
  prefix: string,
  overrides: { visibilityTimeoutSeconds?: Readonly<Partial<Record<string, number>>>; dataDir?: string; withoutStream?: ReadonlySet<string> } = {},
): Promise<LocalResources> {
  const { names: tableNames, created } = await ensureTables(dynamo, prefix, overrides.withoutStream);
  await checkDataVersion(dynamo, tableNames[mainTable.id]!, created.has(mainTable.id), overrides.dataDir);
  const queueUrls: Record<string, string> = {};
  for (const definition of queues) {
    const { url, dlqUrl } = await ensureQueue(sqs, definition, `${prefix}-${definition.id}`, {
      visibilityTimeoutSeconds: overrides.visibilityTimeoutSeconds?.[definition.id],
    });
    queueUrls[definition.id] = url;
    queueUrls[`${definition.id}Dlq`] = dlqUrl;
  }
  return { tableNames, queueUrls };
}
