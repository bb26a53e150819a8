/**
 * Lambda bundles bench: every function bundled as the stack bundles it (cdk/bundling/lambda-bundle.ts),
 * its size minified and zipped (deflate level 9, with the files copied beside it: the PDF
 * function's fonts), the time a fresh Node process takes to import it (the median of several
 * processes; the module's top level is the function's cold start: configuration, clients, wiring),
 * and what the hot path's bundles are made of.
 *
 * Before and after, side by side. "Before" is main at 30f7941, when every function built the whole
 * `Services`: where the repository has that commit, its bundles are built from it (git archive) and
 * imported in this same run, interleaved with today's (import times on a shared machine vary by
 * tens of ms from run to run; within a run they compare). Otherwise the figures recorded below are
 * printed. Prints a table, then one JSON line.
 *
 *   npx tsx bench/bundles.ts            BENCH_IMPORTS=7 (processes per bundle)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { esbuildOptions, lambdaBundle } from '../cdk/bundling/lambda-bundle';
import { eventBus, functionEntries, invoicePdfFunction, queues, tables } from '../lib/store/resources';
import { intEnv, log } from './support/cli';
import { round } from './support/cost';

type FunctionName = keyof typeof functionEntries;

interface Figures {
  bundle_kb: number;
  zip_kb: number;
  /** Wall time of the import (median). */
  import_ms: number;
  /** CPU time of the import (median): less at the mercy of other processes on a shared machine. */
  import_cpu_ms: number;
}

const BEFORE_COMMIT = '30f7941';

/**
 * Main at 30f7941, recorded: sizes as bench/documents.ts of that commit printed them (the same
 * esbuild options); import times with this bench's method on that commit's bundles, on the 2-core
 * development machine under other work (load average about 10). The usage rollup came later.
 */
const RECORDED_BEFORE: Partial<Record<FunctionName, Figures>> = {
  api: { bundle_kb: 657.7, zip_kb: 204.9, import_ms: 209.2, import_cpu_ms: 97.7 },
  ingest: { bundle_kb: 643.5, zip_kb: 201.8, import_ms: 179.9, import_cpu_ms: 96.9 },
  meterConsumer: { bundle_kb: 589.4, zip_kb: 184.7, import_ms: 153.1, import_cpu_ms: 82.9 },
  billingScheduler: { bundle_kb: 588.6, zip_kb: 183.5, import_ms: 214.6, import_cpu_ms: 82.8 },
  billingWorker: { bundle_kb: 589.2, zip_kb: 183.7, import_ms: 185.7, import_cpu_ms: 85.2 },
  webhookDispatcher: { bundle_kb: 588.8, zip_kb: 183.6, import_ms: 152.6, import_cpu_ms: 83.6 },
  eventFanout: { bundle_kb: 589.2, zip_kb: 183.8, import_ms: 155.1, import_cpu_ms: 80.0 },
  invoicePage: { bundle_kb: 593.5, zip_kb: 185.6, import_ms: 187.2, import_cpu_ms: 81.3 },
  invoicePdf: { bundle_kb: 1488.8, zip_kb: 4090, import_ms: 378.4, import_cpu_ms: 220.5 },
};

/** The goals of issue 17 for the hot path (minified KB). */
const GOALS: Partial<Record<FunctionName, number>> = { ingest: 300, meterConsumer: 350 };

const IMPORTS = intEnv('BENCH_IMPORTS', 7);
const root = path.resolve(import.meta.dirname, '..');
const kb = (bytes: number) => round(bytes / 1024, 1);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const run = promisify(execFile);

/** The environment the stack gives every function, with placeholder names and URLs (nothing is called at import). */
const functionEnv: Record<string, string> = {
  ...Object.fromEntries(tables.map((table) => [table.envVar, `meterline-${table.id}`])),
  ...Object.fromEntries(queues.map((queue) => [queue.envVar, `https://sqs.us-east-1.amazonaws.com/123456789012/${queue.id}`])),
  [eventBus.envVar]: 'meterline-events',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
};

interface Built {
  outfile: string;
  bundle_kb: number;
  zip_kb: number;
  metafile: esbuild.Metafile;
}

/** A function's bundle, built from `sources` as the CDK builds it (before: without the aliases), written to `dir`. */
async function bundle(name: FunctionName, sources: string, dir: string, alias: Record<string, string>): Promise<Built> {
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, 'index.mjs');
  const { metafile } = await esbuild.build({ ...esbuildOptions(path.join(sources, functionEntries[name]), outfile, alias), metafile: true, logLevel: 'silent' });
  const code = readFileSync(outfile);
  const extras = name === 'invoicePdf' ? invoicePdfFunction.fontFiles.map((file) => readFileSync(path.join(root, file))) : [];
  const zipped = [code, ...extras].reduce((sum, file) => sum + deflateRawSync(file, { level: 9 }).length, 0);
  return { outfile, bundle_kb: kb(code.length), zip_kb: kb(zipped), metafile };
}

/** The sources of the before commit, unpacked under `work` (with this checkout's node_modules); undefined without that commit. */
async function beforeSources(work: string): Promise<string | undefined> {
  try {
    await run('git', ['cat-file', '-e', `${BEFORE_COMMIT}^{commit}`], { cwd: root });
  } catch {
    return undefined;
  }
  const dir = path.join(work, 'before-src');
  mkdirSync(dir);
  await run('sh', ['-c', `git archive ${BEFORE_COMMIT} | tar -x -C "${dir}"`], { cwd: root });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Wall and CPU milliseconds a fresh Node process takes to import the bundle (its module's top level included). */
async function importTime(file: string): Promise<{ wall: number; cpu: number }> {
  const script = [
    'const c = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const { user, system } = process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (user + system) / 1000 }));',
  ].join(' ');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...functionEnv } });
  return JSON.parse(stdout) as { wall: number; cpu: number };
}

/** Median import times of each bundle, the processes run one at a time in rounds over all bundles (a burst of load elsewhere slows all alike). */
async function importTimes(files: readonly string[]): Promise<{ import_ms: number; import_cpu_ms: number }[]> {
  const samples = files.map(() => [] as { wall: number; cpu: number }[]);
  for (let i = 0; i < IMPORTS; i++) {
    for (const [j, file] of files.entries()) samples[j]!.push(await importTime(file));
  }
  return samples.map((s) => ({ import_ms: round(median(s.map((x) => x.wall)), 1), import_cpu_ms: round(median(s.map((x) => x.cpu)), 1) }));
}

/** The bytes each package (or our own top-level folder) contributes to a bundle, largest first. */
function byPackage(metafile: esbuild.Metafile, top: number): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, bytes]) => [name, kb(bytes)]);
}

const change = (before: number, after: number) => `${before ? Math.round(((after - before) / before) * 100) : 0}%`.replace(/^(\d)/, '+$1');
const cell = (before: number, after: number) => `${before.toFixed(1)} -> ${after.toFixed(1)} (${change(before, after)})`.padEnd(28);

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'meterline-bundles-'));
  try {
    const names = Object.keys(functionEntries) as FunctionName[];
    const afterBuilt = new Map<FunctionName, Built>();
    for (const name of names) afterBuilt.set(name, await bundle(name, root, path.join(work, 'after', name), lambdaBundle.alias));
    const before: Partial<Record<FunctionName, Figures>> = structuredClone(RECORDED_BEFORE);
    const beforeDir = await beforeSources(work);
    // Functions added since have no before.
    const beforeNames = beforeDir ? names.filter((name) => existsSync(path.join(beforeDir, functionEntries[name]))) : [];
    const beforeFiles: string[] = [];
    for (const name of beforeNames) {
      const built = await bundle(name, beforeDir!, path.join(work, 'before', name), {});
      before[name] = { ...before[name]!, bundle_kb: built.bundle_kb, zip_kb: built.zip_kb };
      beforeFiles.push(built.outfile);
    }
    const times = await importTimes([...names.map((name) => afterBuilt.get(name)!.outfile), ...beforeFiles]);
    const after = Object.fromEntries(
      names.map((name, i) => [name, { bundle_kb: afterBuilt.get(name)!.bundle_kb, zip_kb: afterBuilt.get(name)!.zip_kb, ...times[i]! }]),
    ) as Record<FunctionName, Figures>;
    beforeNames.forEach((name, i) => Object.assign(before[name]!, times[names.length + i]));
    const composition = Object.fromEntries(Object.keys(GOALS).map((name) => [name, byPackage(afterBuilt.get(name as FunctionName)!.metafile, 12)]));

    log(`before (main at ${BEFORE_COMMIT}, ${beforeDir ? 'built and imported in this run' : 'recorded figures'}) -> after; import: median of ${IMPORTS} fresh node processes`);
    log(`${'function'.padEnd(18)}${'minified KB'.padEnd(28)}${'zipped KB'.padEnd(28)}${'import ms (wall)'.padEnd(28)}import ms (CPU)`);
    for (const name of names) {
      const [b, a] = [before[name], after[name]];
      const cells = (['bundle_kb', 'zip_kb', 'import_ms', 'import_cpu_ms'] as const).map((k) => (b ? cell(b[k], a[k]) : `(new) ${a[k].toFixed(1)}`.padEnd(28)));
      log(`${name.padEnd(18)}${cells.join('')}`);
    }
    for (const [name, goal] of Object.entries(GOALS) as [FunctionName, number][]) {
      const size = after[name].bundle_kb;
      const parts = composition[name]!.map(([part, kbs]) => `${part} ${kbs}`).join(', ');
      log(`${name}: ${size} KB minified, goal ${goal} KB: ${size <= goal ? 'met' : `missed by ${round(size - goal, 1)} KB`}; largest parts (KB): ${parts}`);
    }
    log(JSON.stringify({ bench: 'bundles', imports_per_bundle: IMPORTS, before_measured: Boolean(beforeDir), before, after, composition }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
