import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  GetApiCommand,
  GetIntegrationCommand,
  GetRouteCommand,
  GetStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import type { StackResourceSummary } from '@aws-sdk/client-cloudformation';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetEventSourceMappingCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  referencedId,
  resolve,
  resolveString,
  Unresolvable,
  type CfnResource,
  type CfnTemplate,
  type Environment,
} from './template';

/** The AWS SDK clients, all pointed at the emulator. */
export interface Clients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
  readonly apigatewayv2: ApiGatewayV2Client;
}

/**
 * What became of one resource of the template:
 * - checked: CloudFormation created it and its service shows it as the template describes it;
 * - listed: CloudFormation created it (CREATE_COMPLETE); the rehearsal does not look further;
 * - custom: a custom resource; CloudFormation registered it but its handler function never ran;
 * - stand-in: moto's CloudFormation cannot create the type, so the rehearsal created it from the
 *   template through the service's own API (moto implements it) and checked it;
 * - not-created: moto's CloudFormation cannot create the type.
 * `problems` lists every difference from the template; any problem fails the rehearsal.
 * `unapplied` lists template properties moto's CloudFormation does not pass on to the service
 * (left unchecked).
 */
export interface Outcome {
  readonly logicalId: string;
  readonly type: string;
  readonly kind: 'checked' | 'listed' | 'custom' | 'stand-in' | 'not-created';
  readonly summary: string;
  readonly details: readonly string[];
  readonly problems: readonly string[];
  readonly unapplied: readonly string[];
}

type Properties = Record<string, any>;
interface Finding {
  summary: string;
  details?: string[];
  problems: string[];
  unapplied?: string[];
}

/**
 * Template properties that moto 5.2.5's CloudFormation does not pass on to the service (see its
 * `create_from_cloudformation_json`): the resource keeps the service default. Such a property is
 * reported as not applied, not as a difference, while the resource shows the default.
 */
const notAppliedByMoto = new Set([
  'AWS::DynamoDB::Table.TimeToLiveSpecification',
  'AWS::DynamoDB::Table.PointInTimeRecoverySpecification',
  'AWS::Lambda::Function.Architectures',
]);

/**
 * Compares a property of a resource with the template; a property moto does not apply, still at
 * the service default, goes to `unapplied` instead. Returns whether it was compared.
 */
const compareApplied = (
  finding: { problems: string[]; unapplied: string[] },
  property: string,
  actual: unknown,
  expected: unknown,
  serviceDefault: unknown,
): boolean => {
  const unchanged = canonical(actual) === canonical(serviceDefault) && canonical(expected) !== canonical(serviceDefault);
  if (notAppliedByMoto.has(property) && unchanged) {
    finding.unapplied.push(property.split('.')[1]!);
    return false;
  }
  compare(finding.problems, property.split('.')[1]!, actual, expected);
  return true;
};

/** The order in which the HTTP API's resources are created through moto's apigatewayv2 API. */
const standInOrder = [
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
] as const;

const keysOf = (schema: readonly KeySchemaElement[] | readonly Properties[] | undefined): string =>
  (schema ?? []).map((k) => `${k.AttributeName}${k.KeyType === 'HASH' ? '' : ` (${String(k.KeyType).toLowerCase()})`}`).join(' + ');

/** JSON of a value with object keys sorted, so that two equal values compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

const compare = (problems: string[], what: string, actual: unknown, expected: unknown): void => {
  if (canonical(actual) !== canonical(expected)) {
    problems.push(`${what}: ${canonical(actual) ?? 'none'}, the template says ${canonical(expected)}`);
  }
};

const seconds = (value: unknown): string => {
  const s = Number(value);
  return s % 86_400 === 0 ? `${s / 86_400} d` : s % 3600 === 0 ? `${s / 3600} h` : `${s} s`;
};

/**
 * The checks of one deployed stack against its template. `resources` is what CloudFormation
 * (moto) lists for the stack, by logical id.
 */
export class StackChecks {
  private readonly attributes = new Map<string, Promise<string | undefined>>();
  private readonly tables = new Map<string, Promise<TableDescription>>();
  /** Ids of the resources the rehearsal created itself, by logical id (what `Ref` gives). */
  private readonly standIns = new Map<string, string>();
  readonly env: Environment;

  constructor(
    private readonly template: CfnTemplate,
    private readonly resources: ReadonlyMap<string, StackResourceSummary>,
    private readonly clients: Clients,
    private readonly where: { readonly stackName: string; readonly region: string; readonly account: string },
    parameters: Readonly<Record<string, string>>,
  ) {
    this.env = {
      parameters: {
        'AWS::Region': where.region,
        'AWS::AccountId': where.account,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': where.stackName,
        ...parameters,
      },
      ref: (id) => this.ref(id),
      getAtt: (id, attribute) => this.getAtt(id, attribute),
    };
  }

  /** Every resource of the template, checked where the rehearsal knows how. */
  async run(): Promise<Outcome[]> {
    const outcomes = new Map<string, Outcome>();
    const entries = Object.entries(this.template.Resources);
    // Created by CloudFormation first: the stand-ins refer to them.
    for (const [logicalId, resource] of entries) {
      if (!this.resources.has(logicalId)) continue;
      outcomes.set(logicalId, await this.checkCreated(logicalId, resource));
    }
    const missing = entries.filter(([logicalId]) => !this.resources.has(logicalId));
    for (const type of standInOrder) {
      for (const [logicalId, resource] of missing.filter(([, r]) => r.Type === type)) {
        outcomes.set(logicalId, await this.standIn(logicalId, resource));
      }
    }
    for (const [logicalId, resource] of missing) {
      if (!outcomes.has(logicalId)) {
        outcomes.set(logicalId, { logicalId, type: resource.Type, kind: 'not-created', summary: '', details: [], problems: [], unapplied: [] });
      }
    }
    return entries.map(([logicalId]) => outcomes.get(logicalId)!);
  }

  private async checkCreated(logicalId: string, resource: CfnResource): Promise<Outcome> {
    const base = { logicalId, type: resource.Type, unapplied: [] };
    const summary = this.resources.get(logicalId)!;
    if (summary.ResourceStatus !== 'CREATE_COMPLETE') {
      return { ...base, kind: 'listed', summary: '', details: [], problems: [`status ${summary.ResourceStatus}`] };
    }
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
      return { ...base, kind: 'custom', summary: 'handler not run', details: [], problems: [] };
    }
    const check = this.checkers[resource.Type];
    if (!check) return { ...base, kind: 'listed', summary: summary.PhysicalResourceId ?? '', details: [], problems: [] };
    try {
      const finding = await check(logicalId, (resource.Properties ?? {}) as Properties);
      return {
        ...base,
        kind: 'checked',
        summary: finding.summary,
        details: finding.details ?? [],
        problems: finding.problems,
        unapplied: finding.unapplied ?? [],
      };
    } catch (error) {
      return { ...base, kind: 'checked', summary: '', details: [], problems: [`could not be read back: ${describe(error)}`] };
    }
  }

  private readonly checkers: Record<string, (logicalId: string, properties: Properties) => Promise<Finding>> = {
    'AWS::DynamoDB::Table': (id, p) => this.checkTable(id, p),
    'AWS::SQS::Queue': (id, p) => this.checkQueue(id, p),
    'AWS::Lambda::Function': (id, p) => this.checkFunction(id, p),
    'AWS::Lambda::EventSourceMapping': (id, p) => this.checkEventSourceMapping(id, p),
    'AWS::Events::Rule': (id, p) => this.checkRule(id, p),
    'AWS::Events::EventBus': (id) => this.checkEventBus(id),
  };

  private async checkTable(logicalId: string, p: Properties): Promise<Finding> {
    const problems: string[] = [];
    const table = await this.table(logicalId);
    const name = table.TableName!;
    compare(problems, 'key', keysOf(table.KeySchema), keysOf(p.KeySchema));
    const indexes: string[] = [];
    const liveIndexes = table.GlobalSecondaryIndexes ?? [];
    for (const index of (p.GlobalSecondaryIndexes ?? []) as Properties[]) {
      const live = liveIndexes.find((i) => i.IndexName === index.IndexName);
      if (!live) {
        problems.push(`index ${index.IndexName} is missing`);
        continue;
      }
      compare(problems, `index ${index.IndexName} key`, keysOf(live.KeySchema), keysOf(index.KeySchema));
      compare(problems, `index ${index.IndexName} projection`, live.Projection?.ProjectionType, index.Projection?.ProjectionType);
      indexes.push(`${index.IndexName} (${keysOf(live.KeySchema)}, ${String(live.Projection?.ProjectionType).toLowerCase().replace('_', ' ')})`);
    }
    compare(problems, 'indexes', liveIndexes.length, (p.GlobalSecondaryIndexes ?? []).length);
    const stream = table.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType : undefined;
    compare(problems, 'stream', stream, p.StreamSpecification?.StreamViewType);
    const finding = { problems, unapplied: [] as string[] };
    const ttl = (await this.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
    const liveTtl = ttl?.TimeToLiveStatus === 'ENABLED' ? ttl.AttributeName : undefined;
    const ttlAttribute = p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : undefined;
    const ttlApplied = compareApplied(finding, 'AWS::DynamoDB::Table.TimeToLiveSpecification', liveTtl, ttlAttribute, undefined);
    const backups = (await this.clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: name })))
      .ContinuousBackupsDescription;
    const pitr = backups?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
    const wantPitr = p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true;
    const pitrApplied = compareApplied(finding, 'AWS::DynamoDB::Table.PointInTimeRecoverySpecification', pitr, wantPitr, false);
    compare(problems, 'billing mode', table.BillingModeSummary?.BillingMode ?? 'PROVISIONED', p.BillingMode ?? 'PROVISIONED');
    compare(problems, 'deletion protection', table.DeletionProtectionEnabled === true, p.DeletionProtectionEnabled === true);
    return {
      summary: [
        `key ${keysOf(table.KeySchema)}`,
        `GSI ${indexes.join(', ') || 'none'}`,
        `stream ${stream ?? 'none'}`,
        ttlApplied ? `TTL ${liveTtl ?? 'none'}` : `TTL ${ttlAttribute} (not applied by moto)`,
        pitrApplied ? (pitr ? 'PITR' : 'no PITR') : 'PITR (not applied by moto)',
        table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on demand' : 'provisioned',
        table.DeletionProtectionEnabled ? 'deletion protection' : 'no deletion protection',
      ].join('; '),
      problems,
      unapplied: finding.unapplied,
    };
  }

  private async checkQueue(logicalId: string, p: Properties): Promise<Finding> {
    const problems: string[] = [];
    const url = await this.ref(logicalId);
    const attributes =
      (await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    for (const name of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds'] as const) {
      if (p[name] !== undefined) compare(problems, name, attributes[name], String(p[name]));
    }
    if (p.SqsManagedSseEnabled !== undefined) {
      compare(problems, 'SQS-managed encryption', attributes.SqsManagedSseEnabled, String(p.SqsManagedSseEnabled));
    }
    const parts = [`visibility ${seconds(attributes.VisibilityTimeout)}`, `retention ${seconds(attributes.MessageRetentionPeriod)}`];
    if (p.RedrivePolicy) {
      const live = attributes.RedrivePolicy ? (JSON.parse(attributes.RedrivePolicy) as Properties) : {};
      const expected = (await resolve(p.RedrivePolicy, this.env)) as Properties;
      compare(problems, 'dead-letter queue', live.deadLetterTargetArn, expected.deadLetterTargetArn);
      compare(problems, 'maxReceiveCount', Number(live.maxReceiveCount), Number(expected.maxReceiveCount));
      const target = referencedId(p.RedrivePolicy.deadLetterTargetArn) ?? String(expected.deadLetterTargetArn);
      parts.push(`redrive to ${target} after ${live.maxReceiveCount} receives`);
    } else {
      compare(problems, 'redrive policy', attributes.RedrivePolicy, undefined);
      parts.push('no redrive policy');
    }
    return { summary: parts.join('; '), problems };
  }

  private async checkFunction(logicalId: string, p: Properties): Promise<Finding> {
    const problems: string[] = [];
    const name = await this.ref(logicalId);
    const live = await this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    compare(problems, 'runtime', live.Runtime, p.Runtime);
    compare(problems, 'handler', live.Handler, p.Handler);
    const finding = { problems, unapplied: [] as string[] };
    const architectures = p.Architectures ?? ['x86_64'];
    const archApplied = compareApplied(finding, 'AWS::Lambda::Function.Architectures', live.Architectures, architectures, ['x86_64']);
    compare(problems, 'memory', live.MemorySize, p.MemorySize ?? 128);
    compare(problems, 'timeout', live.Timeout, p.Timeout ?? 3);
    compare(problems, 'role', live.Role, await resolve(p.Role, this.env));
    // moto reads the code from the asset CDK uploaded: a size shows the upload arrived.
    if (!live.CodeSize) problems.push('no code');
    const liveVariables = live.Environment?.Variables ?? {};
    const variables = (p.Environment?.Variables ?? {}) as Properties;
    const details: string[] = [];
    for (const [key, value] of Object.entries(variables)) {
      const source = referencedId(value);
      const shown = `${key}=${liveVariables[key] ?? '(missing)'}${source ? `  (${source})` : ''}`;
      details.push(shown);
      if (!(key in liveVariables)) {
        problems.push(`environment variable ${key} is missing`);
        continue;
      }
      try {
        compare(problems, `environment variable ${key}`, liveVariables[key], await resolveString(value, this.env));
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
        details[details.length - 1] += ` (not compared: ${error.message} unknown)`;
      }
    }
    for (const key of Object.keys(liveVariables)) {
      if (!(key in variables)) problems.push(`environment variable ${key} is not in the template`);
    }
    const arch = archApplied ? live.Architectures?.join(',') : `${architectures.join(',')} (not applied by moto)`;
    return {
      summary: `${live.Runtime} ${arch}; ${live.MemorySize} MB; ${live.Timeout} s; code ${Math.ceil((live.CodeSize ?? 0) / 1024)} KiB; ${details.length} environment variables`,
      details,
      problems,
      unapplied: finding.unapplied,
    };
  }

  private async checkEventSourceMapping(logicalId: string, p: Properties): Promise<Finding> {
    const problems: string[] = [];
    const details: string[] = [];
    const uuid = await this.ref(logicalId);
    const live = (await this.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))) as Properties;
    compare(problems, 'event source', live.EventSourceArn, await resolve(p.EventSourceArn, this.env));
    const functionName = await resolveString(p.FunctionName, this.env);
    if (!String(live.FunctionArn).endsWith(`:function:${functionName}`) && live.FunctionArn !== functionName) {
      problems.push(`function: ${live.FunctionArn}, the template says ${functionName}`);
    }
    const settings: string[] = [];
    for (const key of [
      'BatchSize',
      'MaximumBatchingWindowInSeconds',
      'FunctionResponseTypes',
      'StartingPosition',
      'BisectBatchOnFunctionError',
      'MaximumRetryAttempts',
      'DestinationConfig',
      'FilterCriteria',
    ]) {
      if (p[key] === undefined) continue;
      const expected = await resolve(p[key], this.env);
      if (live[key] === undefined) {
        details.push(`${key} not kept by moto (the template sets ${canonical(expected)})`);
        continue;
      }
      compare(problems, key, live[key], expected);
      if (key !== 'FilterCriteria' && key !== 'DestinationConfig') settings.push(`${key} ${canonical(live[key])}`);
      else details.push(`${key} ${canonical(live[key])}`);
    }
    const source = referencedId(p.EventSourceArn) ?? live.EventSourceArn;
    const target = referencedId(p.FunctionName) ?? functionName;
    return { summary: `${source} -> ${target}; ${settings.join(', ')}`, details, problems };
  }

  private async checkRule(logicalId: string, p: Properties): Promise<Finding> {
    const problems: string[] = [];
    const name = await this.ref(logicalId);
    const eventBusName = p.EventBusName ? await resolveString(p.EventBusName, this.env) : undefined;
    const live = await this.clients.events.send(new DescribeRuleCommand({ Name: name, EventBusName: eventBusName }));
    compare(problems, 'schedule', live.ScheduleExpression, p.ScheduleExpression);
    if (p.EventPattern) compare(problems, 'event pattern', JSON.parse(live.EventPattern ?? 'null'), p.EventPattern);
    compare(problems, 'state', live.State, p.State ?? 'ENABLED');
    const targets = (await this.clients.events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: eventBusName }))).Targets ?? [];
    const shown: string[] = [];
    for (const target of (p.Targets ?? []) as Properties[]) {
      const liveTarget = targets.find((t) => t.Id === target.Id);
      if (!liveTarget) {
        problems.push(`target ${target.Id} is missing`);
        continue;
      }
      compare(problems, `target ${target.Id}`, liveTarget.Arn, await resolve(target.Arn, this.env));
      if (target.RetryPolicy) compare(problems, `target ${target.Id} retry policy`, liveTarget.RetryPolicy, target.RetryPolicy);
      if (target.DeadLetterConfig) {
        compare(problems, `target ${target.Id} dead-letter queue`, liveTarget.DeadLetterConfig?.Arn, await resolve(target.DeadLetterConfig.Arn, this.env));
      }
      shown.push(referencedId(target.Arn) ?? String(liveTarget.Arn));
    }
    compare(problems, 'targets', targets.length, (p.Targets ?? []).length);
    return { summary: `${live.ScheduleExpression ?? 'event pattern'} -> ${shown.join(', ')}; ${live.State}`, problems };
  }

  private async checkEventBus(logicalId: string): Promise<Finding> {
    const name = await this.ref(logicalId);
    const live = await this.clients.events.send(new DescribeEventBusCommand({ Name: name }));
    return { summary: `${live.Name} (${live.Arn})`, problems: live.Name === name ? [] : [`name ${live.Name}, expected ${name}`] };
  }

  /**
   * Creates a resource moto's CloudFormation cannot create through the service's own API, from
   * its template properties with every reference resolved against the deployed stack.
   */
  private async standIn(logicalId: string, resource: CfnResource): Promise<Outcome> {
    const base = { logicalId, type: resource.Type, kind: 'stand-in' as const, unapplied: [] };
    const api = this.clients.apigatewayv2;
    try {
      const p = (await resolve(resource.Properties ?? {}, this.env)) as Properties;
      switch (resource.Type) {
        case 'AWS::ApiGatewayV2::Api': {
          const created = await api.send(new CreateApiCommand({ ...p, Name: p.Name ?? `${this.where.stackName}-${logicalId}` } as never));
          this.standIns.set(logicalId, created.ApiId!);
          const live = await api.send(new GetApiCommand({ ApiId: created.ApiId }));
          const problems: string[] = [];
          compare(problems, 'protocol', live.ProtocolType, p.ProtocolType);
          return { ...base, summary: `${live.ProtocolType} API ${live.ApiId}`, details: [], problems };
        }
        case 'AWS::ApiGatewayV2::Integration': {
          const created = await api.send(new CreateIntegrationCommand(p as never));
          this.standIns.set(logicalId, created.IntegrationId!);
          const problems: string[] = [];
          // The integration must reach a function the stack deployed.
          const target = await this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: p.IntegrationUri }));
          compare(problems, 'integration URI', target.FunctionArn, p.IntegrationUri);
          const fn = referencedId(resource.Properties?.IntegrationUri) ?? String(p.IntegrationUri);
          return { ...base, summary: `${p.IntegrationType} -> ${fn} (payload ${p.PayloadFormatVersion})`, details: [], problems };
        }
        case 'AWS::ApiGatewayV2::Route': {
          const created = await api.send(new CreateRouteCommand(p as never));
          this.standIns.set(logicalId, created.RouteId!);
          const live = await api.send(new GetRouteCommand({ ApiId: p.ApiId, RouteId: created.RouteId }));
          const problems: string[] = [];
          compare(problems, 'route key', live.RouteKey, p.RouteKey);
          compare(problems, 'target', live.Target, p.Target);
          const integrationId = String(live.Target).replace(/^integrations\//, '');
          const integration = await api.send(new GetIntegrationCommand({ ApiId: p.ApiId, IntegrationId: integrationId }));
          const integrationLogicalId = [...this.standIns].find(([, id]) => id === integrationId)?.[0];
          const fn = integrationLogicalId
            ? referencedId(this.template.Resources[integrationLogicalId]?.Properties?.IntegrationUri)
            : undefined;
          return { ...base, summary: `${live.RouteKey} -> ${fn ?? integration.IntegrationUri}`, details: [], problems };
        }
        case 'AWS::ApiGatewayV2::Stage': {
          await api.send(new CreateStageCommand(p as never));
          this.standIns.set(logicalId, p.StageName);
          const live = await api.send(new GetStageCommand({ ApiId: p.ApiId, StageName: p.StageName }));
          const problems: string[] = [];
          compare(problems, 'auto deploy', live.AutoDeploy === true, p.AutoDeploy === true);
          if (p.AccessLogSettings) compare(problems, 'access log', live.AccessLogSettings?.DestinationArn, p.AccessLogSettings.DestinationArn);
          const throttle = p.DefaultRouteSettings
            ? `; throttle ${p.DefaultRouteSettings.ThrottlingRateLimit}/s, burst ${p.DefaultRouteSettings.ThrottlingBurstLimit}`
            : '';
          const template = (resource.Properties ?? {}) as Properties;
          const logs = p.AccessLogSettings ? `; access log to ${referencedId(template.AccessLogSettings?.DestinationArn)}` : '';
          return { ...base, summary: `stage ${live.StageName}${live.AutoDeploy ? ', auto deploy' : ''}${logs}${throttle}`, details: [], problems };
        }
        default:
          return { ...base, kind: 'not-created', summary: '', details: [], problems: [] };
      }
    } catch (error) {
      if (error instanceof Unresolvable) {
        // It refers to something moto cannot create either (an authorizer, say): not created.
        return { ...base, kind: 'not-created', summary: '', details: [`not created: needs ${error.message}`], problems: [] };
      }
      return { ...base, summary: '', details: [], problems: [`could not be created through the service API: ${describe(error)}`] };
    }
  }

  private async ref(logicalId: string): Promise<string | undefined> {
    const standIn = this.standIns.get(logicalId);
    if (standIn) return standIn;
    const physicalId = this.resources.get(logicalId)?.PhysicalResourceId;
    if (physicalId) return physicalId;
    // moto lists an event bus without a physical id; Ref of a bus is its name.
    const resource = this.template.Resources[logicalId];
    if (resource?.Type === 'AWS::Events::EventBus' && resource.Properties?.Name) {
      return resolveString(resource.Properties.Name, this.env);
    }
    return undefined;
  }

  private getAtt(logicalId: string, attribute: string): Promise<string | undefined> {
    const key = `${logicalId}.${attribute}`;
    let value = this.attributes.get(key);
    if (!value) {
      value = this.lookUpAttribute(logicalId, attribute);
      this.attributes.set(key, value);
    }
    return value;
  }

  private async lookUpAttribute(logicalId: string, attribute: string): Promise<string | undefined> {
    const type = this.template.Resources[logicalId]?.Type;
    const id = await this.ref(logicalId);
    if (!id) return undefined;
    const { region, account } = this.where;
    switch (`${type}.${attribute}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return (await this.table(logicalId)).TableArn;
      case 'AWS::DynamoDB::Table.StreamArn':
        return (await this.table(logicalId)).LatestStreamArn;
      case 'AWS::SQS::Queue.Arn':
        return (await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: id, AttributeNames: ['QueueArn'] })))
          .Attributes?.QueueArn;
      case 'AWS::SQS::Queue.QueueName':
        return id.split('/').at(-1);
      case 'AWS::SQS::Queue.QueueUrl':
        return id;
      case 'AWS::Lambda::Function.Arn':
        return (await this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: id }))).FunctionArn;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${id}:*`;
      case 'AWS::Events::EventBus.Name':
        return id;
      case 'AWS::Events::EventBus.Arn':
        return (await this.clients.events.send(new DescribeEventBusCommand({ Name: id }))).Arn;
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${region}:${account}:rule/${id}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${id}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${id}`;
      default:
        return undefined;
    }
  }

  private table(logicalId: string): Promise<TableDescription> {
    let table = this.tables.get(logicalId);
    if (!table) {
      table = this.ref(logicalId).then(async (name) => {
        const { Table } = await this.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
        if (!Table) throw new Error(`No table ${name}`);
        return Table;
      });
      this.tables.set(logicalId, table);
    }
    return table;
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`.slice(0, 300) : String(error);
