import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { QueueDefinition, TableDefinition } from '../../lib/store/resources';
import { lambdaBundle } from '../bundling/lambda-bundle';

/** The repository root: entries in `functionEntries` are relative to it. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What a function may do with a table; `claim` is readWrite plus PartiQL INSERT (the consumer's identifier claims). */
export type TableAccess = 'read' | 'readWrite' | 'claim';

/** What a function may do with a queue. */
export type QueueAccess = 'send' | 'consume';

export interface MeterlineFunctionProps {
  /** Entry file relative to the project root (a value of `functionEntries`); exports `handler`. */
  readonly entry: string;
  /** @default - none */
  readonly description?: string;
  /** @default 10 (an HTTP API integration gives up after 30 s anyway) */
  readonly timeoutSeconds?: number;
  /** @default 512 */
  readonly memoryMb?: number;
  /** How long the function's log group keeps its logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Active X-Ray tracing. @default false */
  readonly tracing?: boolean;
  /** Files (relative to the project root) copied into the bundle, into `dir` beside the handler. @default none */
  readonly extraFiles?: { readonly dir: string; readonly files: readonly string[] };
}

/** Bundling hooks that copy `files` into `<bundle>/<dir>` after esbuild has run (local bundling: plain shell). */
function copyInto(dir: string, files: readonly string[]): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => [
      `mkdir -p "${path.join(outputDir, dir)}"`,
      ...files.map((file) => `cp "${path.join(inputDir, file)}" "${path.join(outputDir, dir)}/"`),
    ],
  };
}

/**
 * A Meterline Lambda function: nodejs22.x on arm64, bundled by the local esbuild as minified ESM
 * with source maps and the AWS SDK v3 inside the bundle (cdk/bundling/lambda-bundle.ts), its own
 * log group with a retention, and a role that starts with nothing but write access to that log group.
 */
export class MeterlineFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: MeterlineFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An own role instead of the default one: AWSLambdaBasicExecutionRole would allow writing to
    // every log group of the account, this role can write to this function's log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds ?? 10),
      memorySize: props.memoryMb ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        // Our code is ESM ("type": "module"); ESM output keeps top-level await working.
        format: nodejs.OutputFormat.ESM,
        mainFields: [...lambdaBundle.mainFields],
        banner: lambdaBundle.banner,
        minify: lambdaBundle.minify,
        esbuildArgs: { '--alias': Object.entries(lambdaBundle.alias).map(([module, replacement]) => `${module}=${replacement}`) },
        sourceMap: true,
        // Line mappings are enough for stack traces; embedding the sources only grows the zip.
        sourcesContent: false,
        // Bundle everything, the AWS SDK v3 included.
        externalModules: [],
        logLevel: nodejs.LogLevel.WARNING,
        commandHooks: props.extraFiles ? copyInto(props.extraFiles.dir, props.extraFiles.files) : undefined,
      },
    });

    // nodejs22.x is the runtime the design fixes and the dependencies are chosen for; moving to a
    // newer one (cdk-nag wants the newest CDK knows) is a deliberate, tested upgrade.
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason: 'Runtime pinned to nodejs22.x by design; upgrades are deliberate and tested.',
      },
    ]);

    if (props.tracing) {
      // X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
      NagSuppressions.addResourceSuppressions(
        this.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: 'X-Ray trace upload actions only accept Resource "*".',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    }
  }

  /** Grants access to a table and passes its name in the table's environment variable. */
  useTable(table: dynamodb.ITable, definition: TableDefinition, access: TableAccess): this {
    if (access === 'read') table.grantReadData(this.function);
    else {
      table.grantReadWriteData(this.function);
      // The consumer claims identifiers with PartiQL INSERT, which CDK's data grants leave out.
      if (access === 'claim') table.grant(this.function, 'dynamodb:PartiQLInsert');
    }
    this.function.addEnvironment(definition.envVar, table.tableName);

    if (definition.indexes.length > 0) {
      // CDK grants query access to a table's indexes as `<table arn>/index/*`: the wildcard only
      // spans the indexes of this one table.
      NagSuppressions.addResourceSuppressions(
        this.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: `Index access on ${definition.id}: CDK grants it as <table arn>/index/*.`,
            appliesTo: [{ regex: '/^Resource::<.+\\.Arn>\\/index\\/\\*$/' }],
          },
        ],
        true,
      );
    }
    return this;
  }

  /** Grants access to a queue and passes its URL in the queue's environment variable. */
  useQueue(queue: sqs.IQueue, definition: QueueDefinition, access: QueueAccess): this {
    if (access === 'send') queue.grantSendMessages(this.function);
    // Receive, delete and change visibility (the consumer shortens some retries).
    else queue.grantConsumeMessages(this.function);
    this.function.addEnvironment(definition.envVar, queue.queueUrl);
    return this;
  }
}
