import { fileURLToPath } from 'node:url';

/**
 * How every Lambda function is bundled: minified ESM for Node 22 with the AWS SDK inside (so the
 * code runs against the SDK version we tested, not whatever the runtime ships). One definition for
 * the stack (cdk/constructs/meterline-function.ts) and for the bundle bench (bench/bundles.ts).
 */
export const lambdaBundle = {
  format: 'esm',
  /** The runtime is nodejs22.x. */
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  /** CommonJS dependencies bundled into ESM still call require() for Node built-ins. */
  banner: [
    "import { createRequire as __meterlineCreateRequire } from 'node:module';",
    'const require = __meterlineCreateRequire(import.meta.url);',
  ].join(' '),
  /** Modules replaced in every bundle by a smaller one that does the same job on Lambda. */
  alias: {
    '@aws-sdk/credential-provider-node': fileURLToPath(new URL('./lambda-credentials.ts', import.meta.url)),
    'side-channel': fileURLToPath(new URL('./side-channel.cjs', import.meta.url)),
  },
} as const;

/**
 * esbuild's options for bundling `entry` into `outfile` as the stack bundles a function (the
 * bundle bench and the bundling test call esbuild directly); `alias` defaults to the stack's.
 */
export function esbuildOptions(entry: string, outfile: string, alias: Record<string, string> = { ...lambdaBundle.alias }) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: lambdaBundle.format,
    target: lambdaBundle.target,
    mainFields: [...lambdaBundle.mainFields],
    minify: lambdaBundle.minify,
    banner: { js: lambdaBundle.banner },
    alias,
  };
}
