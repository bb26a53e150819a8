import { App, Aspects, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterlineTables } from '../../cdk/constructs/tables';
import { validFirstRetrySeconds, Webhooks } from '../../cdk/constructs/webhooks';
import { MeterlineStack } from '../../cdk/meterline-stack';
import { loadConfig } from '../../lib/config';
import { mainTable, usageTable, webhookDeliveriesQueue, webhookDelivery, webhookDispatcher } from '../../lib/store/resources';
import { makeConsoleAssets } from './fixtures/console-assets';

// Synthesis bundles every function with esbuild: give the hooks room on a slow machine.
const SYNTH_TIMEOUT_MS = 120_000;

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
}

const logicalIdOf = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

describe('Webhooks in MeterlineStack', () => {
  let stack: MeterlineStack;
  let template: Template;
  let annotations: Annotations;

  // A stand-in for web/dist: the CDK tests never need `npm run build:web`.
  const consoleAssets = makeConsoleAssets();
  afterAll(() => consoleAssets.remove());

  beforeAll(() => {
    const app = new App();
    stack = new MeterlineStack(app, 'Meterline', { consoleAssetPath: consoleAssets.path });
    Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
    app.synth();
    template = Template.fromStack(stack);
    annotations = Annotations.fromStack(stack);
  }, SYNTH_TIMEOUT_MS);

  const resource = (logicalId: string): CfnResource => {
    const found = template.toJSON().Resources[logicalId] as CfnResource | undefined;
    if (!found) throw new Error(`No resource ${logicalId} in the template`);
    return found;
  };
  const queueId = () => logicalIdOf(stack.webhooks.queue);
  const dlqId = () => logicalIdOf(stack.webhooks.deadLetterQueue);
  const dispatcherId = () => logicalIdOf(stack.webhooks.dispatcher.function);
  const roleId = () => logicalIdOf(stack.webhooks.dispatcher.role);

  /** Every action the dispatcher's policies allow on a resource (by logical id). */
  /** The actions a function's role may take on one resource. */
  const actionsOn = (role: string, resourceId: string): string[] =>
    (Object.values(template.findResources('AWS::IAM::Policy')) as CfnResource[])
      .filter((policy) => policy.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, any>[])
      .filter((statement) => [statement.Resource].flat().some((arn) => arn?.['Fn::GetAtt']?.[0] === resourceId))
      .flatMap((statement) => [statement.Action].flat() as string[]);
  const dispatcherActionsOn = (resourceId: string) => actionsOn(roleId(), resourceId);

  describe('the deliveries queue', () => {
    it('is encrypted, kept 4 days, hidden 6x the dispatcher timeout while handled, and dead-letters after 5 receives', () => {
      const queue = resource(queueId());
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: webhookDeliveriesQueue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: webhookDeliveriesQueue.retentionSeconds,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(), 'Arn'] }, maxReceiveCount: webhookDeliveriesQueue.maxReceiveCount },
      });
      expect(webhookDeliveriesQueue.visibilityTimeoutSeconds).toBe(6 * webhookDispatcher.timeoutSeconds);
      expect(webhookDeliveriesQueue.maxReceiveCount).toBe(5);
    });

    it('has an encrypted dead-letter queue that keeps messages 14 days', () => {
      expect(resource(dlqId()).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    });

    it('refuses requests without TLS, on both queues', () => {
      for (const id of [queueId(), dlqId()]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: { 'Fn::GetAtt': [id, 'Arn'] } }),
            ]),
          },
        });
      }
    });

    it('is the one the event fan-out may send to, and its URL is an output', () => {
      expect(actionsOn(logicalIdOf(stack.events.fanOut.role), queueId())).toEqual(expect.arrayContaining(['sqs:SendMessage']));
      expect(template.toJSON().Outputs[`${webhookDeliveriesQueue.id}Url`].Value).toEqual({ Ref: queueId() });
    });
  });

  describe('the dispatcher', () => {
    it('has the timeout and memory of webhookDispatcher, and covers a delivery timeout', () => {
      const fn = resource(dispatcherId());
      expect(fn.Properties).toMatchObject({ Timeout: webhookDispatcher.timeoutSeconds, MemorySize: webhookDispatcher.memoryMb, Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(fn.Properties.Timeout * 1000).toBeGreaterThan(webhookDelivery.timeoutMs);
    });

    it('drains the queue in batches and reports the messages that failed', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId(), 'Arn'] },
        FunctionName: { Ref: dispatcherId() },
        BatchSize: webhookDispatcher.batchSize,
        MaximumBatchingWindowInSeconds: webhookDispatcher.maxBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('gets the table names, the queue URL and the first retry delay, and nothing else', () => {
      const variables = resource(dispatcherId()).Properties.Environment.Variables;
      expect(variables).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        [mainTable.envVar]: { Ref: logicalIdOf(stack.tables.main) },
        [usageTable.envVar]: { Ref: logicalIdOf(stack.tables.usage) },
        [webhookDeliveriesQueue.envVar]: { Ref: queueId() },
        [webhookDelivery.firstRetryEnvVar]: String(webhookDelivery.firstRetrySeconds),
      });
      // With them its configuration loads (placeholders for the references).
      const env = Object.fromEntries(Object.entries(variables as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : 'placeholder']));
      const config = loadConfig(env, { queue: false, webhooks: true });
      expect(config.webhookDeliveriesQueueUrl).toBe('placeholder');
      expect(config.webhookFirstRetrySeconds).toBe(30);
    });

    it('reads and writes the main table (endpoints, events, attempts), and never touches the usage table', () => {
      const onMain = dispatcherActionsOn(logicalIdOf(stack.tables.main));
      expect(onMain).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']));
      expect(dispatcherActionsOn(logicalIdOf(stack.tables.usage))).toEqual([]);
    });

    it('consumes its queue and may send to it (retries), and nothing reaches the dead-letter queue but the redrive', () => {
      const onQueue = dispatcherActionsOn(queueId());
      expect(onQueue).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage']));
      expect(dispatcherActionsOn(dlqId())).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unsuppressed error or warning', () => {
      expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    });
  });
});

describe('Webhooks construct', () => {
  it('takes a first retry delay of 1 to 60 whole seconds', () => {
    expect(validFirstRetrySeconds(1)).toBe(1);
    expect(validFirstRetrySeconds(60)).toBe(60);
    for (const bad of [0, 61, 1.5, -1]) expect(() => validFirstRetrySeconds(bad)).toThrow(/from 1 to 60/);
  });

  it('passes its first retry delay to the dispatcher', () => {
    const stack = new Stack(new App(), 'WebhooksOnly');
    const tables = new MeterlineTables(stack, 'Tables');
    const webhooks = new Webhooks(stack, 'Webhooks', { mainTable: tables.main, usageTable: tables.usage, firstRetrySeconds: 5 });
    const fn = Template.fromStack(stack).toJSON().Resources[logicalIdOf(webhooks.dispatcher.function)];
    expect(fn.Properties.Environment.Variables[webhookDelivery.firstRetryEnvVar]).toBe('5');
  }, SYNTH_TIMEOUT_MS);
});
