import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`pnpm test:faults`): real worker processes on a real broker, killed, signalled,
 * fed bad records and damaged state. Each scenario prints its figures (events, faults, lost,
 * duplicated, time to recover); see docs/reliability.md.
 */
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    // scenarios spawn several workers (and brokers): one file at a time on a 2-core machine
    fileParallelism: false,
  },
});
