import { defineConfig } from 'vitest/config';

// Node-side tests: the bridge, both emulators, end-to-end flows and the LWC browser preview.
// LWC unit tests run under Jest (sfdx-lwc-jest), as Salesforce projects do.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-postgres.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
