import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { sellerEnv, sellerOf } from '../lib/config';
import { billingJobsQueue, mainTable, meterEventsQueue, usageTable, webhookDeliveriesQueue } from '../lib/store/resources';
import { Api } from './constructs/api';
import { BillingCycle } from './constructs/billing-cycle';
import { Console } from './constructs/console';
import { Ingestion } from './constructs/ingestion';
import { MeterlineTables } from './constructs/tables';
import { Webhooks } from './constructs/webhooks';
import { Events } from './constructs/events';
import { UsageRollup } from './constructs/usage-rollup';

/** CDK context keys that tune a deployment: `cdk deploy -c billingScheduleRateMinutes=1`. */
export const contextKeys = {
  billingScheduleRateMinutes: 'billingScheduleRateMinutes',
  invoiceGraceSeconds: 'invoiceGraceSeconds',
} as const;

/** CDK context keys of the seller on every invoice, and the environment variable each sets on the functions. */
export const sellerContextKeys = {
  sellerName: sellerEnv.name,
  sellerCountry: sellerEnv.country,
  /** Address lines separated by `|`. */
  sellerAddress: sellerEnv.address,
  supportEmail: sellerEnv.supportEmail,
  invoiceFooter: sellerEnv.footer,
  /** The origin hosted invoice URLs start with (a custom domain in front of the console). @default the console's CloudFront URL */
  publicUrl: sellerEnv.publicUrl,
} as const;

export interface MeterlineStackProps extends StackProps {
  /**
   * Minutes between billing scheduler runs.
   * @default the `billingScheduleRateMinutes` context value, else billingSchedule.defaultRateMinutes (5)
   */
  readonly billingScheduleRateMinutes?: number;
  /**
   * Grace period of draft invoices, in seconds (0 to 72 h).
   * @default the `invoiceGraceSeconds` context value, else invoiceGrace.defaultSeconds (3600)
   */
  readonly invoiceGraceSeconds?: number;
  /**
   * The folder of the built operator console, deployed behind CloudFront.
   * @default web/dist at the repository root (`npm run build:web` writes it)
   */
  readonly consoleAssetPath?: string;
}

/**
 * Meterline in one account and region: tables, meter ingestion, the billing cycle, events and
 * webhooks, the HTTP API and the operator console in front of it.
 */
export class MeterlineStack extends Stack {
  public readonly tables: MeterlineTables;
  public readonly ingestion: Ingestion;
  public readonly billing: BillingCycle;
  public readonly api: Api;
  public readonly webhooks: Webhooks;
  public readonly events: Events;
  public readonly usageRollup: UsageRollup;
  public readonly console: Console;

  constructor(scope: Construct, id: string, props: MeterlineStackProps = {}) {
    super(scope, id, {
      description: 'Meterline: Stripe-compatible usage-based billing',
      ...props,
    });

    this.tables = new MeterlineTables(this, 'Tables');
    this.ingestion = new Ingestion(this, 'Ingestion', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
    });
    this.billing = new BillingCycle(this, 'BillingCycle', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
      scheduleRateMinutes:
        props.billingScheduleRateMinutes ?? this.numberFromContext(contextKeys.billingScheduleRateMinutes),
      invoiceGraceSeconds: props.invoiceGraceSeconds ?? this.numberFromContext(contextKeys.invoiceGraceSeconds),
    });
    this.webhooks = new Webhooks(this, 'Webhooks', { mainTable: this.tables.main, usageTable: this.tables.usage });
    this.events = new Events(this, 'Events', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
      webhookDeliveries: this.webhooks.queue,
    });
    this.usageRollup = new UsageRollup(this, 'UsageRollup', { mainTable: this.tables.main, usageTable: this.tables.usage });
    this.api = new Api(this, 'Api', {
      mainTable: this.tables.main,
      usageTable: this.tables.usage,
      meterEventsQueue: this.ingestion.queue,
      // The api function bills synchronously too: both must wait the same grace period.
      invoiceGraceSeconds: this.billing.invoiceGraceSeconds,
    });
    this.console = new Console(this, 'Console', { api: this.api, assetPath: props.consoleAssetPath });

    this.configureInvoiceDocuments();

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The operator console' });
    new CfnOutput(this, `${mainTable.id}Name`, { value: this.tables.main.tableName });
    new CfnOutput(this, `${usageTable.id}Name`, { value: this.tables.usage.tableName });
    new CfnOutput(this, `${meterEventsQueue.id}Url`, { value: this.ingestion.queue.queueUrl });
    new CfnOutput(this, `${billingJobsQueue.id}Url`, { value: this.billing.queue.queueUrl });
    new CfnOutput(this, `${webhookDeliveriesQueue.id}Url`, { value: this.webhooks.queue.queueUrl });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'Every event, for EventBridge rules' });
  }

  /**
   * The functions that finalize invoices (the api function and the billing worker) or render
   * them (the hosted page and the PDF) learn the seller and the public URL: from context, the public URL defaulting to the console's CloudFront address,
   * which routes /i/* to the hosted invoice functions.
   */
  private configureInvoiceDocuments(): void {
    const environment: Record<string, string> = { [sellerEnv.publicUrl]: this.console.url.replace(/\/$/, '') };
    for (const [key, envVar] of Object.entries(sellerContextKeys)) {
      const value: unknown = this.node.tryGetContext(key);
      if (value !== undefined && value !== null && value !== '') environment[envVar] = String(value);
    }
    // Checked at synth, not at the first invoice: a bad country code fails the deploy.
    sellerOf(environment);
    for (const fn of [this.api.apiFunction, this.billing.worker, this.api.invoicePageFunction, this.api.invoicePdfFunction]) {
      for (const [name, value] of Object.entries(environment)) fn.function.addEnvironment(name, value);
    }
  }

  /** A number from the CDK context (`-c key=value` gives a string); undefined when not set. */
  private numberFromContext(key: string): number | undefined {
    const raw: unknown = this.node.tryGetContext(key);
    if (raw === undefined || raw === null || raw === '') return undefined;
    const value = Number(raw);
    if (typeof raw === 'boolean' || !Number.isFinite(value)) {
      throw new Error(`Context value ${key} must be a number, got '${String(raw)}'`);
    }
    return value;
  }
}
