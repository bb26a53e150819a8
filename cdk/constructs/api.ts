import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  functionEntries,
  ingestRoutes,
  invoiceGrace,
  mainTable,
  meterEventsQueue,
  usageTable,
  apiFunction,
  invoicePdfFunction,
} from '../../lib/store/resources';
import { MeterlineFunction, type MeterlineFunctionProps } from './meterline-function';

export interface ApiProps {
  /** The main table: both functions read and write it. */
  readonly mainTable: dynamodb.ITable;
  /** The usage table: the api function reads it (usage summaries, upcoming invoices). */
  readonly usageTable: dynamodb.ITable;
  /** The meter-events queue the ingest function sends to. */
  readonly meterEventsQueue: sqs.IQueue;
  /**
   * Grace period of draft invoices: the api function bills synchronously when a subscription is
   * created or cancelled and when a test clock advances, so it must use the worker's value.
   * @default invoiceGrace.defaultSeconds (3600) from lib/store/resources.ts
   */
  readonly invoiceGraceSeconds?: number;
  /**
   * Steady-state request rate and burst of the default stage, for all routes together.
   * @default { rateLimit: 1000, burstLimit: 2000 } (each request carries up to 100 events)
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /** How long the access log keeps its records. @default one month */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** Routes that are not meter ingestion: everything else under /v1 and /v2, and the health check. */
const apiRoutes = ['ANY /v1/{proxy+}', 'ANY /v2/{proxy+}', 'GET /healthz'] as const;

/**
 * The public HTTP API: meter ingestion routes go to the ingest function (which only queues the
 * events), every other route to the api function. Authentication happens in the functions
 * (Stripe-style API keys), so the routes carry no API Gateway authorizer.
 */
export class Api extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  public readonly apiFunction: MeterlineFunction;
  public readonly ingestFunction: MeterlineFunction;
  /** The public hosted invoice page (GET /i/{token}). */
  public readonly invoicePageFunction: MeterlineFunction;
  /** The invoice PDF (GET /i/{token}/pdf): the only function with the PDF library and fonts. */
  public readonly invoicePdfFunction: MeterlineFunction;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.apiFunction = new MeterlineFunction(this, 'ApiFunction', {
      entry: functionEntries.api,
      description: 'Stripe-compatible billing API',
      timeoutSeconds: apiFunction.timeoutSeconds,
      memoryMb: apiFunction.memoryMb,
    })
      .useTable(props.mainTable, mainTable, 'readWrite')
      .useTable(props.usageTable, usageTable, 'read');
    this.apiFunction.function.addEnvironment(
      invoiceGrace.envVar,
      String(props.invoiceGraceSeconds ?? invoiceGrace.defaultSeconds),
    );
    this.ingestFunction = new MeterlineFunction(this, 'IngestFunction', {
      entry: functionEntries.ingest,
      description: 'Validates meter events and queues them',
    })
      .useTable(props.mainTable, mainTable, 'readWrite')
      // Adjustments check the claim of the event they cancel.
      .useTable(props.usageTable, usageTable, 'read')
      .useQueue(props.meterEventsQueue, meterEventsQueue, 'send');

    // Hosted invoice documents read invoices (and their grants and products) only; the token is the credential.
    const documentFunction = (id: string, entry: string, description: string, options: Partial<MeterlineFunctionProps> = {}) => {
      const fn = new MeterlineFunction(this, id, { entry, description, ...options }).useTable(props.mainTable, mainTable, 'read');
      // The services need the usage table's name; these functions never touch it.
      fn.function.addEnvironment(usageTable.envVar, props.usageTable.tableName);
      return fn;
    };
    this.invoicePageFunction = documentFunction('InvoicePageFunction', functionEntries.invoicePage, 'Hosted invoice pages');
    this.invoicePdfFunction = documentFunction('InvoicePdfFunction', functionEntries.invoicePdf, 'Invoice PDFs', {
      timeoutSeconds: invoicePdfFunction.timeoutSeconds,
      memoryMb: invoicePdfFunction.memoryMb,
      extraFiles: { dir: 'fonts', files: invoicePdfFunction.fontFiles },
    });
    this.invoicePdfFunction.function.addEnvironment('METERLINE_FONTS_DIR', invoicePdfFunction.fontsDir);

    // The default stage is declared by hand: the one HttpApi creates takes no access log or
    // throttling settings.
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Meterline: Stripe-compatible usage-based billing',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 1000, burstLimit: 2000 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTimeEpoch',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    this.addRoutes(ingestRoutes, new HttpLambdaIntegration('Ingest', this.ingestFunction.function));
    this.addRoutes(apiRoutes, new HttpLambdaIntegration('Api', this.apiFunction.function));
    this.addRoutes(['GET /i/{token}'], new HttpLambdaIntegration('InvoicePage', this.invoicePageFunction.function));
    this.addRoutes(['GET /i/{token}/pdf'], new HttpLambdaIntegration('InvoicePdf', this.invoicePdfFunction.function));

    // Clients authenticate with Stripe-style API keys (Bearer or basic), checked in constant time
    // by the functions themselves, which also answer with Stripe-shaped 401/403 errors; a Lambda
    // authorizer would add a second invocation and key lookup to every request.
    NagSuppressions.addResourceSuppressions(
      this.httpApi,
      [
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'The functions check Stripe-style API keys on every route; GET /healthz is public, and so are the hosted invoice documents (GET /i/{token}, /i/{token}/pdf), whose unguessable token is the credential, as in Stripe.',
        },
      ],
      true,
    );
  }

  /** The URL of the default stage, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/ */
  get url(): string {
    return this.stage.url;
  }

  private addRoutes(routes: readonly string[], integration: HttpLambdaIntegration): void {
    for (const route of routes) {
      const [method, path] = route.split(' ');
      if (!method || !path || !(method in apigwv2.HttpMethod)) {
        throw new Error(`Route "${route}" is not "<METHOD> <path>"`);
      }
      this.httpApi.addRoutes({
        path,
        methods: [apigwv2.HttpMethod[method as keyof typeof apigwv2.HttpMethod]],
        integration,
      });
    }
  }
}
