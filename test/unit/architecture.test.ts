import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(root, 'node_modules/.bin/depcruise');

/** dependency-cruiser on `lib` and `functions` under `cwd` with the project's rules (.dependency-cruiser.cjs): its exit code and report. */
function cruise(cwd: string): { code: number; report: string } {
  try {
    const report = execFileSync(depcruise, ['lib', 'functions', '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, encoding: 'utf8' });
    return { code: 0, report };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { code: failed.status, report: failed.stdout };
  }
}

describe('the architecture rules', () => {
  it('hold for lib/ and functions/: no folder cycles, a domain that imports nothing, capabilities below the edge and free of lib/http, a hot path without billing', () => {
    const { code, report } = cruise(root);
    expect(report).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fail on a folder cycle, a domain import and a capability importing lib/http (a fixture that breaks all three)', () => {
    const { code, report } = cruise(path.join(root, 'test/fixtures/architecture'));
    expect(code).not.toBe(0);
    expect(report).toContain('no-folder-cycles');
    expect(report).toContain('domain-imports-nothing');
    expect(report).toMatch(/capabilities-take-commands: lib\/meters\/meters\.ts → lib\/http\/params\.ts/);
  });

  it('fail when the ingest function or the consumer reaches billing, even through another folder (the fixture\'s functions do)', () => {
    const { code, report } = cruise(path.join(root, 'test/fixtures/architecture'));
    expect(code).not.toBe(0);
    expect(report).toMatch(/ingest-bundles-what-it-runs: functions\/http\/ingest\.ts → lib\/billing\/invoices\.ts/);
    expect(report).toMatch(/consumer-bundles-what-it-runs: functions\/queue\/meter-consumer\.ts → lib\/billing\/invoices\.ts/);
  });
});
