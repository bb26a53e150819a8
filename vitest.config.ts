import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one DynamoDB Local; two workers keep the 2-core machine responsive.
    maxWorkers: 2,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
