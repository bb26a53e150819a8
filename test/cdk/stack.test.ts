import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Aspects, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingCycle } from '../../cdk/constructs/billing-cycle';
import { Ingestion } from '../../cdk/constructs/ingestion';
import { MeterlineFunction } from '../../cdk/constructs/meterline-function';
import { MeterlineStack } from '../../cdk/meterline-stack';
import { makeConsoleAssets } from './fixtures/console-assets';
import { loadConfig, sellerEnv } from '../../lib/config';
import {
  billingJobsQueue,
  billingSchedule,
  billingWorker,
  eventBus,
  eventFanout,
  ingestRoutes,
  invoiceGrace,
  mainTable,
  meterConsumer,
  meterEventsQueue,
  tables,
  usageTable,
  webhookDeliveriesQueue,
  invoicePdfFunction,
  usageRollup,
} from '../../lib/store/resources';

// Synthesis bundles every function with esbuild: give the hooks room on a slow machine.
const SYNTH_TIMEOUT_MS = 120_000;

/** The routes of the api function: whatever ingestRoutes does not claim, and the health check. */
const apiRouteKeys = ['ANY /v1/{proxy+}', 'ANY /v2/{proxy+}', 'GET /healthz'];

const SOURCE_MAPS = '--enable-source-maps';

/** Every function of the stack: api, ingest, meter consumer, billing scheduler, billing worker, webhook dispatcher, event fan-out. */
const FUNCTION_COUNT = 10;

// A stand-in for web/dist: the CDK tests never need `npm run build:web`.
const consoleAssets = makeConsoleAssets();
afterAll(() => consoleAssets.remove());
const consoleAssetPath = consoleAssets.path;

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

const logicalIdOf = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/**
 * A function's environment as the stack sets it: literal values (the grace period) as they are,
 * a placeholder for references to resources (table names, queue URLs).
 */
const placeholderEnv = (fn: CfnResource): Record<string, string> =>
  Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : 'placeholder',
    ]),
  );

/** The folder of the cloud assembly that holds a function's bundle. */
const bundleDirOf = (assembly: CloudAssembly, fn: CfnResource): string => {
  const assetHash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  return path.join(assembly.directory, `asset.${assetHash}`);
};

/**
 * The modules a bundle still imports at run time, Node built-ins aside (an external `@aws-sdk/*`
 * would show up here). esbuild parses the bundle, so strings that merely mention a package name
 * (the SDK's own error messages do) are not taken for imports.
 */
const nonBuiltinImportsOf = async (bundle: string): Promise<string[]> => {
  const { metafile } = await esbuild.build({
    entryPoints: [bundle],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  return Object.values(metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && !isBuiltin(imported.path))
    .map((imported) => imported.path);
};

describe('MeterlineStack', () => {
  let stack: MeterlineStack;
  let assembly: CloudAssembly;
  let template: Template;

  beforeAll(() => {
    const app = new App();
    stack = new MeterlineStack(app, 'Meterline', { consoleAssetPath });
    assembly = app.synth();
    template = Template.fromStack(stack);
  }, SYNTH_TIMEOUT_MS);

  const resource = (logicalId: string): CfnResource => {
    const found = template.toJSON().Resources[logicalId] as CfnResource | undefined;
    if (!found) throw new Error(`No resource ${logicalId} in the template`);
    return found;
  };

  const resourcesOfType = (type: string): CfnResource[] =>
    Object.values(template.findResources(type)) as CfnResource[];

  const functionResource = (fn: MeterlineFunction): CfnResource =>
    resource(logicalIdOf(fn.function));

  /** The logical ids of our functions: every MeterlineFunction, not CDK's handlers for the console's bucket. */
  const meterlineFunctionIds = (): string[] =>
    stack.node
      .findAll()
      .filter((construct): construct is MeterlineFunction => construct instanceof MeterlineFunction)
      .map((fn) => logicalIdOf(fn.function));

  const meterlineFunctions = (): CfnResource[] => meterlineFunctionIds().map(resource);

  /** Every action the policies of a role allow on a resource (both given by logical id). */
  const actionsOn = (roleId: string, resourceId: string): string[] =>
    resourcesOfType('AWS::IAM::Policy')
      .filter((policy) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, any>[])
      .filter((statement) =>
        [statement.Resource].flat().some((arn) => arn?.['Fn::GetAtt']?.[0] === resourceId),
      )
      .flatMap((statement) => [statement.Action].flat() as string[]);

  /** The logical id of the function behind a route. */
  const functionBehind = (routeKey: string): string => {
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
    );
    expect(routes, routeKey).toHaveLength(1);
    const [prefix, integrationRef] = routes[0]!.Properties.Target['Fn::Join'][1];
    expect(prefix).toBe('integrations/');
    return resource(integrationRef.Ref).Properties.IntegrationUri['Fn::GetAtt'][0];
  };

  describe('functions', () => {
    it('runs every function on nodejs22.x on arm64 with source maps enabled', () => {
      const functions = meterlineFunctions();
      expect(functions).toHaveLength(FUNCTION_COUNT);
      for (const fn of functions) {
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
        expect(fn.Properties.Handler).toBe('index.handler');
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe(SOURCE_MAPS);
      }
    });

    it('ships each function as one ESM file with a source map and no package outside', async () => {
      for (const fn of meterlineFunctions()) {
        const dir = bundleDirOf(assembly, fn);
        const bundle = path.join(dir, 'index.mjs');
        const code = readFileSync(bundle, 'utf8');
        expect(code.startsWith('import { createRequire as __meterlineCreateRequire }')).toBe(true);
        expect(code.endsWith('//# sourceMappingURL=index.mjs.map\n')).toBe(true);
        const sourceMap = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8'));
        expect(sourceMap.sources.length).toBeGreaterThan(0);
        expect(sourceMap.sourcesContent).toBeUndefined();
        expect(await nonBuiltinImportsOf(bundle)).toEqual([]);
      }
    });

    it('ships an api bundle that starts with its environment and answers GET /healthz', () => {
      const fn = functionResource(stack.api.apiFunction);
      const bundle = path.join(bundleDirOf(assembly, fn), 'index.mjs');
      const env = placeholderEnv(fn);
      const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
        const res = await handler({ version: '2.0', rawPath: '/healthz', rawQueryString: '', headers: {},
          requestContext: { requestId: 'r1', http: { method: 'GET', path: '/healthz' } }, isBase64Encoded: false }, {});
        console.log(res.statusCode, res.body);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.trim().split('\n').at(-1)).toBe('200 {"status":"ok"}');
    });

    it('ships every bundle so that it loads (and reads its configuration) with its environment', () => {
      for (const fn of meterlineFunctions()) {
        const bundle = path.join(bundleDirOf(assembly, fn), 'index.mjs');
        const env = placeholderEnv(fn);
        const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(typeof m.handler);`;
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env, NODE_OPTIONS: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        expect(out.trim().split('\n').at(-1), fn.Properties.Description).toBe('function');
      }
    });

    it('gives each function its own log group that expires its logs', () => {
      const logGroupIds = meterlineFunctions().map(
        (fn) => fn.Properties.LoggingConfig.LogGroup.Ref as string,
      );
      expect(new Set(logGroupIds).size).toBe(FUNCTION_COUNT);
      for (const id of logGroupIds) expect(resource(id).Properties.RetentionInDays).toBe(30);
    });

    it("has no other function than CDK's handlers that deploy the console and empty its bucket", () => {
      const ours = new Set(meterlineFunctionIds());
      const others = Object.keys(template.findResources('AWS::Lambda::Function'))
        .filter((id) => !ours.has(id))
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''));
      expect(others.sort()).toEqual(
        ['CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C', 'CustomS3AutoDeleteObjectsCustomResourceProviderHandler'].sort(),
      );
    });

    it('gives the consumer the timeout and memory of meterConsumer', () => {
      const consumer = functionResource(stack.ingestion.consumer);
      expect(consumer.Properties.Timeout).toBe(meterConsumer.timeoutSeconds);
      expect(consumer.Properties.MemorySize).toBe(meterConsumer.memoryMb);
    });

    it('gives the billing worker and scheduler the timeouts and memory of their definitions', () => {
      const worker = functionResource(stack.billing.worker);
      expect(worker.Properties.Timeout).toBe(billingWorker.timeoutSeconds);
      expect(worker.Properties.MemorySize).toBe(billingWorker.memoryMb);
      const scheduler = functionResource(stack.billing.scheduler);
      expect(scheduler.Properties.Timeout).toBe(billingSchedule.timeoutSeconds);
      expect(scheduler.Properties.MemorySize).toBe(billingSchedule.memoryMb);
    });

    it('passes each function the names of its tables and the URL of its queue', () => {
      const main = { Ref: logicalIdOf(stack.tables.main) };
      const usage = { Ref: logicalIdOf(stack.tables.usage) };
      const queue = { Ref: logicalIdOf(stack.ingestion.queue) };
      const jobs = { Ref: logicalIdOf(stack.billing.queue) };
      const grace = String(invoiceGrace.defaultSeconds);
      const variablesOf = (fn: MeterlineFunction) =>
        functionResource(fn).Properties.Environment.Variables;

      // Those that finalize or render invoices learn where hosted invoices are served: the console's address.
      const publicUrl = { [sellerEnv.publicUrl]: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.console.distribution), 'DomainName'] }]] } };
      expect(variablesOf(stack.api.apiFunction)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        [invoiceGrace.envVar]: grace,
        ...publicUrl,
      });
      expect(variablesOf(stack.api.invoicePageFunction)).toEqual({ NODE_OPTIONS: SOURCE_MAPS, [mainTable.envVar]: main, [usageTable.envVar]: usage, ...publicUrl });
      expect(variablesOf(stack.api.invoicePdfFunction)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        METERLINE_FONTS_DIR: invoicePdfFunction.fontsDir,
        ...publicUrl,
      });
      expect(variablesOf(stack.billing.scheduler)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        [billingJobsQueue.envVar]: jobs,
      });
      expect(variablesOf(stack.billing.worker)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        [billingJobsQueue.envVar]: jobs,
        [invoiceGrace.envVar]: grace,
        ...publicUrl,
      });
      expect(variablesOf(stack.api.ingestFunction)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        [meterEventsQueue.envVar]: queue,
      });
      expect(variablesOf(stack.ingestion.consumer)).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: main,
        [usageTable.envVar]: usage,
        [meterEventsQueue.envVar]: queue,
      });
    });

    it('gives each function every variable the configuration of its entry requires', () => {
      const env = (fn: MeterlineFunction) => placeholderEnv(functionResource(fn));
      expect(() => loadConfig(env(stack.api.apiFunction), { queue: false })).not.toThrow();
      expect(() => loadConfig(env(stack.api.ingestFunction))).not.toThrow();
      expect(() => loadConfig(env(stack.ingestion.consumer))).not.toThrow();
      expect(() => loadConfig(env(stack.billing.worker), { queue: false })).not.toThrow();
      expect(() => loadConfig(env(stack.api.invoicePageFunction), { queue: false })).not.toThrow();
      expect(() => loadConfig(env(stack.api.invoicePdfFunction), { queue: false })).not.toThrow();
      expect(() => loadConfig(env(stack.billing.scheduler), { queue: false, billingJobs: true })).not.toThrow();
      // The guard is real: without the jobs queue the scheduler refuses to start.
      const { [billingJobsQueue.envVar]: _jobs, ...withoutJobs } = env(stack.billing.scheduler);
      expect(() => loadConfig(withoutJobs, { queue: false, billingJobs: true })).toThrow(billingJobsQueue.envVar);
    });

    it('lets the api function read the usage table but not write it', () => {
      const role = logicalIdOf(stack.api.apiFunction.role);
      const actions = actionsOn(role, logicalIdOf(stack.tables.usage));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      for (const write of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
        expect(actions).not.toContain(`dynamodb:${write}`);
      }
      expect(actionsOn(role, logicalIdOf(stack.tables.main))).toContain('dynamodb:PutItem');
    });

    it('lets the ingest function send meter events and read usage claims, not receive events nor write usage', () => {
      const role = logicalIdOf(stack.api.ingestFunction.role);
      const actions = actionsOn(role, logicalIdOf(stack.ingestion.queue));
      expect(actions).toContain('sqs:SendMessage');
      expect(actions).not.toContain('sqs:ReceiveMessage');
      expect(actionsOn(role, logicalIdOf(stack.tables.main))).toContain('dynamodb:PutItem');
      const usageActions = actionsOn(role, logicalIdOf(stack.tables.usage));
      expect(usageActions).toContain('dynamodb:GetItem');
      expect(usageActions).not.toContain('dynamodb:PutItem');
    });

    it('lets the consumer receive meter events and write both tables', () => {
      const role = logicalIdOf(stack.ingestion.consumer.role);
      expect(actionsOn(role, logicalIdOf(stack.ingestion.queue))).toEqual(
        expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
      );
      expect(actionsOn(role, logicalIdOf(stack.tables.main))).toContain('dynamodb:PutItem');
      expect(actionsOn(role, logicalIdOf(stack.tables.usage))).toEqual(
        expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLInsert', 'dynamodb:BatchGetItem']),
      );
    });

    it('lets the billing scheduler read the main table and send jobs, nothing more', () => {
      const role = logicalIdOf(stack.billing.scheduler.role);
      const mainActions = actionsOn(role, logicalIdOf(stack.tables.main));
      expect(mainActions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
      for (const write of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
        expect(mainActions).not.toContain(`dynamodb:${write}`);
      }
      expect(actionsOn(role, logicalIdOf(stack.tables.usage))).toEqual([]);
      const jobActions = actionsOn(role, logicalIdOf(stack.billing.queue));
      expect(jobActions).toContain('sqs:SendMessage');
      expect(jobActions).not.toContain('sqs:ReceiveMessage');
      expect(actionsOn(role, logicalIdOf(stack.ingestion.queue))).toEqual([]);
    });

    it('lets the billing worker take jobs, write the main table and read (not write) usage', () => {
      const role = logicalIdOf(stack.billing.worker.role);
      expect(actionsOn(role, logicalIdOf(stack.billing.queue))).toEqual(
        expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
      );
      expect(actionsOn(role, logicalIdOf(stack.tables.main))).toEqual(
        // Transactions are authorized by the actions they contain; there is no TransactWriteItems action.
        expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query']),
      );
      const usageActions = actionsOn(role, logicalIdOf(stack.tables.usage));
      expect(usageActions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
      for (const write of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'PartiQLInsert']) {
        expect(usageActions).not.toContain(`dynamodb:${write}`);
      }
      expect(actionsOn(role, logicalIdOf(stack.ingestion.queue))).toEqual([]);
    });

    it("attaches no AWS managed policy to any role but the one CDK fixes for emptying the console's bucket", () => {
      const withManaged = Object.entries(template.findResources('AWS::IAM::Role'))
        .filter(([, role]) => role.Properties.ManagedPolicyArns !== undefined)
        .map(([id]) => id);
      expect(withManaged).toEqual([expect.stringMatching(/^CustomS3AutoDeleteObjectsCustomResourceProviderRole/)]);
    });
  });

  describe('queues', () => {
    it('encrypts every queue and refuses requests without TLS', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      // Meter events, billing jobs, webhook deliveries, their dead-letter queues, the scheduler's
      // failed runs and the failed batches of the event fan-out and of the usage rollup.
      expect(Object.keys(queues)).toHaveLength(9);
      for (const [queueId, queue] of Object.entries(queues)) {
        const { SqsManagedSseEnabled, KmsMasterKeyId } = queue.Properties;
        expect(SqsManagedSseEnabled === true || KmsMasterKeyId !== undefined).toBe(true);
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });
  });

  describe('meter-events queue', () => {
    it('moves a message to the dead-letter queue after maxReceiveCount receives', () => {
      const queue = resource(logicalIdOf(stack.ingestion.queue));
      const redrive = queue.Properties.RedrivePolicy;
      expect(redrive.maxReceiveCount).toBe(meterEventsQueue.maxReceiveCount);
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
      const deadLetterId = redrive.deadLetterTargetArn['Fn::GetAtt'][0] as string;
      expect(deadLetterId).toBe(logicalIdOf(stack.ingestion.deadLetterQueue));
      expect(resource(deadLetterId).Properties.MessageRetentionPeriod).toBe(
        meterEventsQueue.deadLetterRetentionSeconds,
      );
      expect(queue.Properties.MessageRetentionPeriod).toBe(meterEventsQueue.retentionSeconds);
    });

    it('hides a message for at least six times the timeout of its consumer function', () => {
      // Meter events, billing jobs and webhook deliveries; the fourth mapping reads the table stream.
      const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter((m) => m.Properties.EventSourceArn['Fn::GetAtt']?.[1] === 'Arn');
      expect(mappings).toHaveLength(3);
      for (const mapping of mappings) {
        const { EventSourceArn, FunctionName } = mapping.Properties;
        const queue = resource(EventSourceArn['Fn::GetAtt'][0]);
        const consumer = resource(FunctionName.Ref);
        expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
          6 * consumer.Properties.Timeout,
        );
      }
      expect(resource(logicalIdOf(stack.ingestion.queue)).Properties.VisibilityTimeout).toBe(
        meterEventsQueue.visibilityTimeoutSeconds,
      );
    });

    it('feeds the consumer batches and lets it report the messages that failed', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.ingestion.queue), 'Arn'] },
        FunctionName: { Ref: logicalIdOf(stack.ingestion.consumer.function) },
        BatchSize: meterConsumer.batchSize,
        MaximumBatchingWindowInSeconds: meterConsumer.maxBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('events', () => {
    const fanOutId = () => logicalIdOf(stack.events.fanOut.function);
    const busId = () => logicalIdOf(stack.events.bus);

    it('streams the new image of every main-table item, and both images of every usage-table item', () => {
      expect(resource(logicalIdOf(stack.tables.main)).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
      expect(resource(logicalIdOf(stack.tables.usage)).Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    });

    it('creates the custom event bus and lets only the fan-out put events on it', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      const puts = resourcesOfType('AWS::IAM::Policy')
        .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).map((statement) => ({ policy, statement })))
        .filter(({ statement }) => [statement.Action].flat().includes('events:PutEvents'));
      expect(puts).toHaveLength(1);
      expect(puts[0]!.statement.Resource).toEqual({ 'Fn::GetAtt': [busId(), 'Arn'] });
      expect(puts[0]!.policy.Properties.Roles).toEqual([{ Ref: logicalIdOf(stack.events.fanOut.role) }]);
    });

    it('feeds the fan-out from the stream: event inserts only, from the oldest record, bisecting and keeping batches that still fail', () => {
      const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter((m) => m.Properties.FunctionName.Ref === fanOutId());
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0]!.Properties;
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.tables.main), 'StreamArn'] });
      expect(mapping).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: eventFanout.batchSize,
        MaximumBatchingWindowInSeconds: eventFanout.maxBatchingWindowSeconds,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack.events.failedBatchesQueue), 'Arn'] } } },
      });
      expect(mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
        { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'EVENT#' }] } } } },
      ]);
    });

    it('gives the fan-out its bus, its deliveries queue and read access to the main table, nothing more', () => {
      const fn = resource(fanOutId());
      expect(fn.Properties.Timeout).toBe(eventFanout.timeoutSeconds);
      expect(fn.Properties.MemorySize).toBe(eventFanout.memoryMb);
      expect(fn.Properties.Environment.Variables).toEqual({
        NODE_OPTIONS: SOURCE_MAPS,
        [mainTable.envVar]: { Ref: logicalIdOf(stack.tables.main) },
        [usageTable.envVar]: { Ref: logicalIdOf(stack.tables.usage) },
        [webhookDeliveriesQueue.envVar]: { Ref: logicalIdOf(stack.webhooks.queue) },
        [eventBus.envVar]: { Ref: busId() },
      });
      const roleId = logicalIdOf(stack.events.fanOut.role);
      const onMain = actionsOn(roleId, logicalIdOf(stack.tables.main));
      expect(onMain).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']));
      expect(onMain.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
      expect(actionsOn(roleId, logicalIdOf(stack.tables.usage))).toEqual([]);
      expect(actionsOn(roleId, logicalIdOf(stack.webhooks.queue))).toEqual(expect.arrayContaining(['sqs:SendMessage']));
      expect(actionsOn(roleId, logicalIdOf(stack.webhooks.queue)).filter((a) => a.startsWith('sqs:Receive'))).toEqual([]);
    });

    it('outputs the bus name', () => {
      expect(template.toJSON().Outputs.EventBusName.Value).toEqual({ Ref: busId() });
    });
  });

  describe('usage rollup', () => {
    const rollupId = () => logicalIdOf(stack.usageRollup.function.function);

    it('feeds the rollup from the usage stream: hourly usage changes only, from the oldest record, bisecting and keeping batches that still fail', () => {
      const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter((m) => m.Properties.FunctionName.Ref === rollupId());
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0]!.Properties;
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.tables.usage), 'StreamArn'] });
      expect(mapping).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: usageRollup.batchSize,
        MaximumBatchingWindowInSeconds: usageRollup.maxBatchingWindowSeconds,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack.usageRollup.failedBatchesQueue), 'Arn'] } } },
      });
      expect(mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
        { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { pk: { S: [{ prefix: 'USAGE#' }] } } } },
      ]);
    });

    it('lets the rollup read and write the usage table, and nothing of the main table', () => {
      const fn = resource(rollupId());
      expect(fn.Properties.Timeout).toBe(usageRollup.timeoutSeconds);
      expect(fn.Properties.MemorySize).toBe(usageRollup.memoryMb);
      const roleId = logicalIdOf(stack.usageRollup.function.role);
      expect(actionsOn(roleId, logicalIdOf(stack.tables.usage))).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetRecords']));
      expect(actionsOn(roleId, logicalIdOf(stack.tables.main))).toEqual([]);
    });
  });

  describe('billing cycle', () => {
    it('runs the scheduler every billingSchedule.defaultRateMinutes minutes', () => {
      expect(billingSchedule.defaultRateMinutes).toBe(5);
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalIdOf(stack.billing.scheduler.function), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(stack.billing.failedRunsQueue), 'Arn'] } },
          }),
        ],
      });
    });

    it('does not retry a failed scheduler run (the next run redoes it) but keeps it in a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalIdOf(stack.billing.scheduler.function) },
        MaximumRetryAttempts: 0,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack.billing.failedRunsQueue), 'Arn'] } },
        },
      });
      expect(actionsOn(logicalIdOf(stack.billing.scheduler.role), logicalIdOf(stack.billing.failedRunsQueue))).toContain(
        'sqs:SendMessage',
      );
    });

    it('moves a job to its dead-letter queue after maxReceiveCount receives and hides it for 6x the worker timeout', () => {
      const queue = resource(logicalIdOf(stack.billing.queue));
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(billingJobsQueue.maxReceiveCount);
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
      expect(queue.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
        'Fn::GetAtt': [logicalIdOf(stack.billing.deadLetterQueue), 'Arn'],
      });
      expect(queue.Properties.VisibilityTimeout).toBe(360);
      expect(queue.Properties.VisibilityTimeout).toBe(6 * functionResource(stack.billing.worker).Properties.Timeout);
      expect(queue.Properties.MessageRetentionPeriod).toBe(billingJobsQueue.retentionSeconds);
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(resource(logicalIdOf(stack.billing.deadLetterQueue)).Properties.MessageRetentionPeriod).toBe(
        billingJobsQueue.deadLetterRetentionSeconds,
      );
    });

    it('feeds the worker batches of jobs and lets it report the jobs that failed', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.billing.queue), 'Arn'] },
        FunctionName: { Ref: logicalIdOf(stack.billing.worker.function) },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(billingWorker.batchSize).toBe(10);
    });

    it('takes the schedule rate and the grace period from the CDK context', () => {
      const app = new App({
        context: { billingScheduleRateMinutes: '1', invoiceGraceSeconds: '7200' },
      });
      const custom = Template.fromStack(new MeterlineStack(app, 'Custom', { consoleAssetPath }));
      custom.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumEventAgeInSeconds: 60 }) })],
      });
      const graces = Object.values(custom.findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables[invoiceGrace.envVar])
        .filter((value) => value !== undefined);
      // The worker and the api function, which bills synchronously.
      expect(graces).toEqual(['7200', '7200']);
    }, SYNTH_TIMEOUT_MS);
  });

  describe('tables', () => {
    it('builds one table per definition', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', tables.length);
    });

    it.each(tables.map((definition) => [definition.id, definition] as const))(
      'builds %s on demand, encrypted, with point-in-time recovery, TTL and its indexes',
      (_id, definition) => {
        const table = resource(logicalIdOf(stack.tables.tableFor(definition)));
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
          KeySchema: [
            { AttributeName: definition.partitionKey, KeyType: 'HASH' },
            { AttributeName: definition.sortKey, KeyType: 'RANGE' },
          ],
        });
        expect(table.Properties.GlobalSecondaryIndexes ?? []).toEqual(
          definition.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: index.projection === 'keys' ? 'KEYS_ONLY' : 'ALL' },
          })),
        );
        for (const attribute of table.Properties.AttributeDefinitions) {
          expect(attribute.AttributeType).toBe('S');
        }
      },
    );

    it('keeps the tables and their data when the stack is deleted or a table replaced', () => {
      for (const table of resourcesOfType('AWS::DynamoDB::Table')) {
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
        expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      }
    });
  });

  describe('HTTP API', () => {
    it('sends every ingest route to the ingest function', () => {
      const ingest = logicalIdOf(stack.api.ingestFunction.function);
      for (const route of ingestRoutes) expect(functionBehind(route), route).toBe(ingest);
    });

    it('sends the hosted invoice page and its PDF to their own functions, and only the PDF function carries the fonts', () => {
      expect(functionBehind('GET /i/{token}')).toBe(logicalIdOf(stack.api.invoicePageFunction.function));
      expect(functionBehind('GET /i/{token}/pdf')).toBe(logicalIdOf(stack.api.invoicePdfFunction.function));
      const pdf = functionResource(stack.api.invoicePdfFunction);
      expect([pdf.Properties.Timeout, pdf.Properties.MemorySize]).toEqual([invoicePdfFunction.timeoutSeconds, invoicePdfFunction.memoryMb]);
    });

    it('sends every other /v1 and /v2 route and the health check to the api function', () => {
      const api = logicalIdOf(stack.api.apiFunction.function);
      for (const route of apiRouteKeys) expect(functionBehind(route), route).toBe(api);
      template.resourceCountIs(
        'AWS::ApiGatewayV2::Route',
        ingestRoutes.length + apiRouteKeys.length + 2,
      );
    });

    it('leaves authentication to the functions (no API Gateway authorizer)', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      for (const route of resourcesOfType('AWS::ApiGatewayV2::Route')) {
        expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      }
    });

    it('throttles the default stage and writes its access log', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [logicalIdOf(stack.api.accessLogs), 'Arn'] },
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
      });
    });

    it('outputs the API URL, the console URL, the table names and the queue URLs', () => {
      const outputs = template.toJSON().Outputs;
      expect(Object.keys(outputs).sort()).toEqual(
        [
          'ApiUrl',
          'ConsoleUrl',
          `${mainTable.id}Name`,
          `${usageTable.id}Name`,
          `${meterEventsQueue.id}Url`,
          `${billingJobsQueue.id}Url`,
          `${webhookDeliveriesQueue.id}Url`,
          'EventBusName',
        ].sort(),
      );
      expect(outputs[`${billingJobsQueue.id}Url`].Value).toEqual({ Ref: logicalIdOf(stack.billing.queue) });
      expect(outputs[`${mainTable.id}Name`].Value).toEqual({ Ref: logicalIdOf(stack.tables.main) });
      expect(outputs[`${meterEventsQueue.id}Url`].Value).toEqual({
        Ref: logicalIdOf(stack.ingestion.queue),
      });
    });
  });

  describe('operator console', () => {
    it("sends /v1/*, /v2/* and /healthz to the host of the stack's HTTP API", () => {
      const config = resource(logicalIdOf(stack.console.distribution)).Properties.DistributionConfig;
      const apiOrigins = new Set<string>(config.CacheBehaviors.map((behavior: any) => behavior.TargetOriginId));
      expect(apiOrigins.size).toBe(1);
      const origin = config.Origins.find((o: any) => apiOrigins.has(o.Id));
      // The host part of https://<api id>.execute-api.<region>.<suffix>/
      expect(origin.DomainName['Fn::Select'][0]).toBe(2);
      expect(origin.DomainName['Fn::Select'][1]['Fn::Split'][0]).toBe('/');
      expect(JSON.stringify(origin.DomainName)).toContain(JSON.stringify({ Ref: logicalIdOf(stack.api.httpApi) }));
      expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    });

    it('deploys the build it is given and outputs the console URL', () => {
      template.resourceCountIs('Custom::CDKBucketDeployment', 1);
      const outputs = template.toJSON().Outputs;
      expect(outputs.ConsoleUrl).toEqual({
        Description: 'The operator console',
        Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.console.distribution), 'DomainName'] }]] },
      });
    });
  });
});

describe('MeterlineFunction', () => {
  it('bundles the AWS SDK v3 into an ESM file that loads without any node_modules', async () => {
    const app = new App();
    const stack = new Stack(app, 'Fixture');
    new MeterlineFunction(stack, 'UsesSdk', { entry: 'test/cdk/fixtures/sdk-handler.ts' });
    const assembly = app.synth();
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const bundle = path.join(bundleDirOf(assembly, fn as CfnResource), 'index.mjs');

    expect(await nonBuiltinImportsOf(bundle)).toEqual([]);
    expect(statSync(bundle).size).toBeGreaterThan(50_000);
    // The cloud assembly lives in the OS temp folder, outside any node_modules.
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      console.log(typeof m.handler);`;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(loaded.trim()).toBe('function');
  }, SYNTH_TIMEOUT_MS);
});

describe('Ingestion', () => {
  it('refuses a visibility timeout under six times the consumer timeout', () => {
    const stack = new Stack(new App(), 'Guard');
    const table = dynamodb.Table.fromTableName(stack, 'Table', 'meterline-test');
    const tooShort = {
      ...meterEventsQueue,
      visibilityTimeoutSeconds: 5 * meterConsumer.timeoutSeconds,
    };
    expect(
      () =>
        new Ingestion(stack, 'Ingestion', {
          mainTable: table,
          usageTable: table,
          queueDefinition: tooShort,
        }),
    ).toThrow(/6 x the consumer timeout/);
  });
});

describe('BillingCycle', () => {
  /** A stack with an imported table to hand the construct as both tables. */
  const guard = () => {
    const stack = new Stack(new App(), 'Guard');
    return { stack, tables: { mainTable: dynamodb.Table.fromTableName(stack, 'Table', 'meterline-test') } };
  };
  const withTables = (tables: { mainTable: dynamodb.ITable }) => ({ ...tables, usageTable: tables.mainTable });

  it.each([0, 1.5, -1, Number.NaN])('refuses a schedule rate of %s minutes', (minutes) => {
    const { stack, tables } = guard();
    expect(
      () => new BillingCycle(stack, 'Billing', { ...withTables(tables), scheduleRateMinutes: minutes }),
    ).toThrow(/whole number of minutes/);
  });

  it.each([-1, 0.5, invoiceGrace.maxSeconds + 1])('refuses a grace period of %s seconds', (seconds) => {
    const { stack, tables } = guard();
    expect(
      () => new BillingCycle(stack, 'Billing', { ...withTables(tables), invoiceGraceSeconds: seconds }),
    ).toThrow(/grace period/);
  });

  it('refuses a visibility timeout under six times the worker timeout', () => {
    const { stack, tables } = guard();
    expect(
      () =>
        new BillingCycle(stack, 'Billing', {
          ...withTables(tables),
          queueDefinition: { ...billingJobsQueue, visibilityTimeoutSeconds: 5 * billingWorker.timeoutSeconds },
        }),
    ).toThrow(/6 x the worker timeout/);
  });

  it('refuses a context value that is not a number', () => {
    const app = new App({ context: { billingScheduleRateMinutes: 'often' } });
    expect(() => new MeterlineStack(app, 'Bad', { consoleAssetPath })).toThrow(/billingScheduleRateMinutes must be a number/);
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  let annotations: Annotations;

  beforeAll(() => {
    const app = new App();
    const stack = new MeterlineStack(app, 'Meterline', { consoleAssetPath });
    Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
    app.synth();
    annotations = Annotations.fromStack(stack);
  }, SYNTH_TIMEOUT_MS);

  it('reports no unsuppressed error', () => {
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('reports no unsuppressed warning', () => {
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});
