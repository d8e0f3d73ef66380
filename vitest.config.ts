import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/cli/starter/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    // the fault suite runs on its own: pnpm test:faults (vitest.faults.config.ts)
    exclude: ['**/node_modules/**', 'test/faults/**'],
    globalSetup: ['test/support/global-setup.ts', 'test/support/registry-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration tests share one broker and spawn worker processes: on a 2-core machine, files
    // running side by side starved each other into timeouts, so they run one after another
    fileParallelism: false,
  },
});
