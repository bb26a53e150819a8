import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { mainTable, meterEventsQueue, usageTable } from '../lib/store/resources';
import { Api } from './constructs/api';
import { Ingestion } from './constructs/ingestion';
import { MeterlineTables } from './constructs/tables';

/** Meterline in one account and region: tables, meter ingestion and the HTTP API. */
export class MeterlineStack extends Stack {
  public readonly tables: MeterlineTables;
  public readonly ingestion: Ingestion;
  public readonly api: Api;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, {
      description: 'Meterline: Stripe-compatible usage-based billing',
      ...props,
    });

    this.tables = new MeterlineTables(this, 'Tables');
    this.ingestion = new Ingestion(this, 'Ingestion', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
    });
    this.api = new Api(this, 'Api', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
      meterEventsQueue: this.ingestion.queue,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API' });
    new CfnOutput(this, `${mainTable.id}Name`, { value: this.tables.main.tableName });
    new CfnOutput(this, `${usageTable.id}Name`, { value: this.tables.usage.tableName });
    new CfnOutput(this, `${meterEventsQueue.id}Url`, { value: this.ingestion.queue.queueUrl });
  }
}
