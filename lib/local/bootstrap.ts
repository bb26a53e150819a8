import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queues, tables, type QueueDefinition, type TableDefinition } from '../store/resources';

/** CreateTable input for a table definition: on-demand, string keys, each index projected as defined. */
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
    StreamSpecification: definition.stream ? { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } : undefined,
  };
}

export interface LocalResources {
  /** Table definition id -> physical name. */
  tableNames: Record<string, string>;
  /** Queue definition id -> URL; the DLQ under `<id>Dlq`. */
  queueUrls: Record<string, string>;
}

/** Creates the tables (if missing) in DynamoDB Local, with TTL on. */
export async function ensureTables(client: DynamoDBClient, prefix: string): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const definition of tables) {
    const name = `${prefix}-${definition.id}`;
    names[definition.id] = name;
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      // Data kept from before the table had a stream (npm start with a data directory).
      if (definition.stream && !Table?.StreamSpecification?.StreamEnabled) {
        await client.send(
          new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }),
        );
      }
      continue;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    await client.send(new CreateTableCommand(createTableInput(definition, name)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
      }),
    );
  }
  return names;
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
  overrides: { visibilityTimeoutSeconds?: Readonly<Partial<Record<string, number>>> } = {},
): Promise<LocalResources> {
  const tableNames = await ensureTables(dynamo, prefix);
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
