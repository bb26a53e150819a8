import { defineConfig } from 'vitest/config';

/**
 * `npm run test:deployed`: the smoke test against a deployed stack, named by METERLINE_API_URL and
 * METERLINE_API_KEY; no local emulators are started.
 */
if (!process.env.METERLINE_API_URL || !process.env.METERLINE_API_KEY) {
  throw new Error(
    'npm run test:deployed needs METERLINE_API_URL (the stack output ApiUrl) and METERLINE_API_KEY (npm run keys -- create --table <MainTableName>)',
  );
}

export default defineConfig({
  test: {
    include: ['test/e2e/smoke.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
