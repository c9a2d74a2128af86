import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Training tests are CPU-bound; two workers match the two cores of CI.
    maxWorkers: 2,
  },
});
