import { execFileSync, spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { projectRoot } from '../cdk/constructs/meterline-function';
import { StackChecks, type Clients, type Outcome } from './rehearsal/checks';
import { MOTO_ACCOUNT, startMoto, type MotoServer } from './rehearsal/moto';
import { withMotoWorkarounds, type CfnTemplate } from './rehearsal/template';

const usage = `Deploy rehearsal: deploys the stack with the pinned CDK CLI to moto's AWS emulator on a free
local port, then checks every resource against the template and prints what was created, what
moto could not create, and every difference.

  npm run deploy:rehearse                        synthesizes the app (cdk.json) first
  npm run deploy:rehearse -- --assembly cdk.out  deploys a cloud assembly synthesized before
  npm run deploy:rehearse -- --brief             counts, uncreated types and problems only (CI)

moto_server comes from .venv-ci/ (requirements-ci.txt; .ci/run installs it) or $MOTO_SERVER.
Nothing leaves this machine: every AWS call goes to the emulator, with its fake credentials.
`;

const REGION = 'us-east-1';
const cdkCli = path.join(projectRoot, 'node_modules/aws-cdk/bin/cdk');

interface StackArtifact {
  readonly name: string;
  readonly templateFile: string;
}

/**
 * The environment of every CDK CLI run and SDK client: the emulator's endpoint and fake
 * credentials, and nothing of the caller's AWS configuration (profiles, endpoints, real keys).
 */
function emulatorEnvironment(moto: MotoServer): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_)/.test(key)));
  const nowhere = path.join(tmpdir(), 'meterline-rehearsal-no-aws-config');
  return {
    ...env,
    AWS_ENDPOINT_URL: moto.endpoint,
    // The CDK CLI builds the template URL it hands to CloudFormation from this endpoint, and moto
    // only reads path-style URLs as such when the host is "localhost" (never connected to).
    AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: `http://localhost:${moto.port}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** Runs the pinned CDK CLI; its output goes to `logFile`. Throws with the output's end when it fails. */
async function cdk(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n$ cdk ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [cdkCli, ...args, '--no-notices'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
    throw new Error(`cdk ${args[0]} failed (exit code ${code}):\n${tail}`);
  }
}

function stacksOf(assembly: string): StackArtifact[] {
  const manifest = JSON.parse(readFileSync(path.join(assembly, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map(([name, artifact]) => ({ name, templateFile: path.join(assembly, artifact.properties!.templateFile!) }));
}

/**
 * The resource types moto's CloudFormation creates, asked of moto itself (the Python beside
 * moto_server); undefined when that Python cannot say.
 */
function motoCreatedTypes(executable: string): Set<string> | undefined {
  const python = path.join(path.dirname(executable), 'python');
  const script = 'import json; from moto.cloudformation.parsing import get_model_map; print(json.dumps(sorted(get_model_map())))';
  try {
    return new Set(JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8' })) as string[]);
  } catch {
    return undefined;
  }
}

function motoVersion(executable: string): string {
  const python = path.join(path.dirname(executable), 'python');
  try {
    return execFileSync(python, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown version';
  }
}

/** SDK client configuration for the emulator. */
const clientConfig = (moto: MotoServer) => ({
  endpoint: moto.endpoint,
  region: REGION,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 2,
});

function clientsFor(moto: MotoServer): Clients {
  const config = clientConfig(moto);
  return {
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    lambda: new LambdaClient(config),
    events: new EventBridgeClient(config),
    apigatewayv2: new ApiGatewayV2Client(config),
  };
}

const timed = async <T>(timings: string[], label: string, work: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const result = await work();
  timings.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
};

const sections: readonly { kind: Outcome['kind']; title: string }[] = [
  { kind: 'checked', title: 'Created by CloudFormation and checked in its service against the template' },
  { kind: 'listed', title: 'Created by CloudFormation (CREATE_COMPLETE), not inspected further' },
  {
    kind: 'custom',
    title: 'Custom resources: CloudFormation registered them, their handler did not run (moto runs Lambda code only in Docker)',
  },
  {
    kind: 'stand-in',
    title: "Not created by moto's CloudFormation (no support for the type); created by the rehearsal through moto's own API for the service and checked",
  },
  { kind: 'not-created', title: "Not created: moto's CloudFormation has no support for the type" },
];

/** Logical ids by a key (a type, a type and property), keys sorted. */
const groupIds = (pairs: readonly (readonly [string, string])[]): [string, string[]][] => {
  const groups = new Map<string, string[]>();
  for (const [key, id] of pairs) groups.set(key, [...(groups.get(key) ?? []), id]);
  return [...groups].sort(([a], [b]) => a.localeCompare(b));
};

/** The report of one stack: every resource by section, or (brief) the counts only. */
function report(stack: string, status: string, outcomes: readonly Outcome[], notes: readonly string[], brief: boolean): string[] {
  const uncreated = groupIds(
    outcomes.filter((o) => o.kind === 'stand-in' || o.kind === 'not-created').map((o) => [o.type, o.logicalId] as const),
  );
  const unapplied = groupIds(outcomes.flatMap((o) => o.unapplied.map((p) => [`${o.type} ${p}`, o.logicalId] as const)));
  const problems = outcomes.flatMap((o) => o.problems.map((p) => `${o.logicalId} (${o.type}): ${p}`));
  const lines = [`Stack ${stack}: ${status}; ${outcomes.length} resources in the template`];

  if (brief) {
    for (const { kind, title } of sections) {
      const count = outcomes.filter((o) => o.kind === kind).length;
      if (count) lines.push(`  ${title}: ${count}`);
    }
    lines.push(`  Resource types moto's CloudFormation could not create: ${uncreated.map(([type]) => type).join(', ') || 'none'}`);
    if (unapplied.length) lines.push(`  Template properties moto does not apply (unchecked): ${unapplied.map(([p]) => p).join(', ')}`);
    if (notes.length) lines.push(`  moto workarounds in the deployed template: ${notes.length}`);
    lines.push(`  Problems: ${problems.length}`, ...problems.map((p) => `    ${p}`));
    return lines;
  }

  if (notes.length) lines.push('', 'moto workarounds in the deployed copy of the template:', ...notes.map((n) => `  ${n}`));
  const typeWidth = Math.max(...outcomes.map((o) => o.type.length));
  for (const { kind, title } of sections) {
    const inSection = outcomes.filter((o) => o.kind === kind);
    if (!inSection.length) continue;
    lines.push('', `${title} (${inSection.length}):`);
    for (const o of inSection) {
      lines.push(`  ${o.type.padEnd(typeWidth)}  ${o.logicalId}`);
      // What was checked; a listed resource was not, a custom resource's handler never ran.
      if (o.summary && kind !== 'listed' && kind !== 'custom') lines.push(`      ${o.summary}`);
      for (const detail of o.details) lines.push(`        ${detail}`);
    }
  }
  lines.push('', `Resource types moto's CloudFormation could not create (${uncreated.length}):`);
  for (const [type, ids] of uncreated) lines.push(`  ${type} (${ids.length}): ${ids.join(', ')}`);
  if (unapplied.length) {
    lines.push('', `Template properties moto's CloudFormation does not apply, so left unchecked (${unapplied.length}):`);
    for (const [property, ids] of unapplied) lines.push(`  ${property} (${ids.length}): ${ids.join(', ')}`);
  }
  lines.push('', `Problems (${problems.length})${problems.length ? ':' : ': none'}`, ...problems.map((p) => `  ${p}`));
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { assembly: { type: 'string' }, brief: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const motoExecutable = process.env.MOTO_SERVER ?? path.join(projectRoot, '.venv-ci/bin/moto_server');
  const work = mkdtempSync(path.join(tmpdir(), 'meterline-rehearsal-'));
  const cdkLog = path.join(work, 'cdk.log');
  const timings: string[] = [];
  const started = performance.now();
  const moto = await timed(timings, 'moto', () => startMoto(motoExecutable, path.join(work, 'moto.log')));
  let failed = true;
  try {
    const env = emulatorEnvironment(moto);
    const assembly = path.join(work, 'cdk.out');
    if (values.assembly) {
      const source = path.resolve(values.assembly);
      if (!existsSync(path.join(source, 'manifest.json'))) throw new Error(`${source} is not a cloud assembly (no manifest.json)`);
      // A copy: the workarounds change its templates, and deploying writes asset zips into it.
      cpSync(source, assembly, { recursive: true, filter: (file) => path.basename(file) !== '.cache' });
    } else {
      await timed(timings, 'synth', () => cdk(['synth', '--quiet', '--output', assembly], env, cdkLog));
    }

    const stacks = stacksOf(assembly);
    if (!stacks.length) throw new Error(`No stack in the cloud assembly ${assembly}`);
    const templates = new Map<string, { template: CfnTemplate; notes: string[] }>();
    const createdTypes = motoCreatedTypes(motoExecutable);
    if (!createdTypes) console.warn("Could not ask moto which types its CloudFormation creates: no placeholders for them.");
    for (const stack of stacks) {
      const original = JSON.parse(readFileSync(stack.templateFile, 'utf8')) as CfnTemplate;
      const deployed = withMotoWorkarounds(original, createdTypes);
      writeFileSync(stack.templateFile, JSON.stringify(deployed.template, null, 1));
      templates.set(stack.name, { template: original, notes: deployed.notes });
    }

    // Both read the assembly (--app): bootstrap would otherwise synthesize the app again, without bundling.
    await timed(timings, 'bootstrap', () => cdk(['bootstrap', `aws://${MOTO_ACCOUNT}/${REGION}`, '--app', assembly], env, cdkLog));
    await timed(timings, 'deploy', () =>
      cdk(['deploy', '--all', '--app', assembly, '--require-approval', 'never', '--progress', 'events'], env, cdkLog),
    );

    const clients = clientsFor(moto);
    const cloudformation = new CloudFormationClient(clientConfig(moto));
    const lines: string[] = [];
    let problems = 0;
    await timed(timings, 'checks', async () => {
      for (const stack of stacks) {
        const { template, notes } = templates.get(stack.name)!;
        const described = (await cloudformation.send(new DescribeStacksCommand({ StackName: stack.name }))).Stacks?.[0];
        const resources = new Map<string, StackResourceSummary>();
        for await (const page of paginateListStackResources({ client: cloudformation }, { StackName: stack.name })) {
          for (const r of page.StackResourceSummaries ?? []) if (r.LogicalResourceId) resources.set(r.LogicalResourceId, r);
        }
        const parameters = Object.fromEntries(
          (described?.Parameters ?? []).map((p) => [p.ParameterKey!, p.ResolvedValue ?? p.ParameterValue ?? '']),
        );
        const where = { stackName: stack.name, region: REGION, account: MOTO_ACCOUNT };
        const outcomes = await new StackChecks(template, resources, clients, where, parameters).run();
        const status = described?.StackStatus ?? 'not found';
        if (status !== 'CREATE_COMPLETE') problems += 1;
        problems += outcomes.reduce((n, o) => n + o.problems.length, 0);
        lines.push('', ...report(stack.name, status, outcomes, notes, values.brief!));
      }
    });

    const cliVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules/aws-cdk/package.json'), 'utf8')) as { version: string })
      .version;
    timings.push(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
    console.log(
      `Deploy rehearsal: CDK CLI ${cliVersion} deployed ${stacks.map((s) => s.name).join(', ')} to moto ${motoVersion(motoExecutable)} ` +
        `at ${moto.endpoint} (account ${MOTO_ACCOUNT}, ${REGION})`,
    );
    console.log(`Timings: ${timings.join(', ')}`);
    for (const line of lines) console.log(line);
    console.log(`\n${problems ? `FAILED: ${problems} problem(s) above.` : 'PASSED: every resource moto created matches the template.'}`);
    failed = problems > 0;
    return failed ? 1 : 0;
  } finally {
    await moto.stop();
    if (failed) console.error(`Logs kept in ${work} (cdk.log, moto.log).`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
