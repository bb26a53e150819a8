import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../cdk/constructs/meterline-function';
import { MeterlineStack } from '../../cdk/meterline-stack';
import { makeConsoleAssets } from './fixtures/console-assets';

const run = promisify(execFile);

/** cfn-lint from the virtual environment `.ci/run` installs (requirements-ci.txt), or `CFN_LINT`. */
const cfnLint = process.env.CFN_LINT ?? path.join(projectRoot, '.venv-ci/bin/cfn-lint');

const SYNTH_TIMEOUT_MS = 120_000;
const LINT_TIMEOUT_MS = 60_000;

/** cfn-lint's exit code is a bit mask: 2 for errors, 4 for warnings, 8 for informational findings. */
const ERRORS = 2;

type CfnTemplate = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

interface Finding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/**
 * Lints a template the way `.ci/run` does: from the project root, so that `.cfnlintrc.yaml` (the
 * serverless rules and the ignored rules) applies. Returns the exit code and the findings.
 */
const lint = async (template: CfnTemplate): Promise<{ code: number; findings: Finding[] }> => {
  const file = path.join(workDir, `template-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(template, null, 1));
  const args = ['--format', 'json', file];
  try {
    const { stdout } = await run(cfnLint, args, { cwd: projectRoot, encoding: 'utf8' });
    return { code: 0, findings: JSON.parse(stdout) as Finding[] };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number' || !failed.stdout) throw error;
    return { code: failed.code, findings: JSON.parse(failed.stdout) as Finding[] };
  }
};

/** One line per finding: rule, level, resource path and message. */
const summary = (findings: Finding[]): string[] =>
  findings.map((f) => `${f.Rule.Id} ${f.Level} ${f.Location.Path.join('/')}: ${f.Message}`);

const consoleAssets = makeConsoleAssets();
const workDir = mkdtempSync(path.join(tmpdir(), 'meterline-cfn-lint-'));
afterAll(() => {
  consoleAssets.remove();
  rmSync(workDir, { recursive: true, force: true });
});

describe('cfn-lint on the synthesized stack', () => {
  let template: CfnTemplate;
  let stack: MeterlineStack;

  beforeAll(() => {
    if (!existsSync(cfnLint)) {
      throw new Error(
        `cfn-lint is not at ${cfnLint}. .ci/run installs it; by hand: ` +
          '`python3 -m venv .venv-ci && .venv-ci/bin/pip install -r requirements-ci.txt` (or set CFN_LINT).',
      );
    }
    // The functions are not bundled: cfn-lint reads the template, which only differs in asset hashes.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new MeterlineStack(app, 'Meterline', { consoleAssetPath: consoleAssets.path });
    template = Template.fromStack(stack).toJSON() as CfnTemplate;
  }, SYNTH_TIMEOUT_MS);

  /** A deep copy of the template with `change` applied to the properties of one resource. */
  const changed = (logicalId: string, change: (properties: Record<string, unknown>) => void): CfnTemplate => {
    const copy = structuredClone(template);
    const resource = copy.Resources[logicalId];
    if (!resource) throw new Error(`No resource ${logicalId} in the template`);
    change(resource.Properties);
    return copy;
  };
  const logicalIdOf = (construct: IConstruct): string =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);

  it('finds no error and no warning in the stack', async () => {
    const { code, findings } = await lint(template);
    expect(summary(findings)).toEqual([]);
    expect(code).toBe(0);
  }, LINT_TIMEOUT_MS);

  it('fails the stack with a misspelt resource property', async () => {
    const queue = logicalIdOf(stack.ingestion.queue);
    const broken = changed(queue, (p) => {
      p.VisibilityTimout = p.VisibilityTimeout;
      delete p.VisibilityTimeout;
    });
    const { code, findings } = await lint(broken);
    expect(code & ERRORS).toBe(ERRORS);
    expect(findings).toContainEqual(
      expect.objectContaining({
        Level: 'Error',
        Rule: expect.objectContaining({ Id: 'E3002' }),
        Message: expect.stringContaining("'VisibilityTimout' was unexpected"),
        Location: expect.objectContaining({ Path: ['Resources', queue, 'Properties', 'VisibilityTimout'] }),
      }),
    );
  }, LINT_TIMEOUT_MS);

  it("fails a queue consumer whose timeout is over Lambda's 15 minutes and its queue's visibility timeout", async () => {
    const consumer = logicalIdOf(stack.ingestion.consumer.function);
    const queue = logicalIdOf(stack.ingestion.queue);
    const { code, findings } = await lint(
      changed(consumer, (p) => {
        p.Timeout = 1000;
      }),
    );
    expect(code & ERRORS).toBe(ERRORS);
    expect(summary(findings).sort()).toEqual([
      expect.stringMatching(
        new RegExp(`^E3505 Error Resources/${queue}/Properties/VisibilityTimeout: Queue visibility timeout \\(\\d+\\) is less than Function timeout \\(1000\\) seconds$`),
      ),
      expect.stringMatching(
        new RegExp(`^E3717 Error Resources/${consumer}/Properties/Timeout: 1000 is greater than the maximum of 900`),
      ),
    ]);
  }, LINT_TIMEOUT_MS);
});
