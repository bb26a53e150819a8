import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  mainTable,
  tables,
  usageTable,
  type TableDefinition,
} from '../../lib/store/resources';

const stringAttribute = (name: string): dynamodb.Attribute => ({
  name,
  type: dynamodb.AttributeType.STRING,
});

const streamViewTypes = {
  new_image: dynamodb.StreamViewType.NEW_IMAGE,
  new_and_old_images: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
} as const;

/**
 * Meterline's DynamoDB tables, built from the shared definitions in `lib/store/resources.ts`:
 * on-demand, point-in-time recovery, KMS encryption, TTL, retained when the stack goes away.
 *
 * `Table` rather than `TableV2`: Meterline runs in one region, and `Table` synthesizes
 * AWS::DynamoDB::Table, which LocalStack (`cdklocal deploy`) and cdk-nag's PITR rule
 * (AwsSolutions-DDB3) understand; `TableV2` synthesizes AWS::DynamoDB::GlobalTable, which that
 * rule skips, and moving a live table from one type to the other means replacing it.
 */
export class MeterlineTables extends Construct {
  /** Customers, meters, keys, idempotency records: everything but usage. */
  public readonly main: dynamodb.Table;
  /** Meter event claims and usage aggregates. */
  public readonly usage: dynamodb.Table;
  private readonly byId = new Map<string, dynamodb.Table>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const definition of tables) this.byId.set(definition.id, this.createTable(definition));
    this.main = this.tableFor(mainTable);
    this.usage = this.tableFor(usageTable);
  }

  /** The table built from a definition. */
  tableFor(definition: TableDefinition): dynamodb.Table {
    const table = this.byId.get(definition.id);
    if (!table) throw new Error(`No table was built for definition ${definition.id}`);
    return table;
  }

  private createTable(definition: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, definition.id, {
      partitionKey: stringAttribute(definition.partitionKey),
      sortKey: stringAttribute(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      // Billing records outlive the stack: deleting it (or replacing a table) keeps the data.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
      stream: definition.stream && streamViewTypes[definition.stream],
    });
    for (const index of definition.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: stringAttribute(index.partitionKey),
        sortKey: stringAttribute(index.sortKey),
        projectionType: index.projection === 'keys' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}
