import { defineConfig } from 'vitest/config';

// Unit tests: `*.test.ts` next to the code they test, no engine needed.
// Integration tests: `*.int.test.ts`, against the real engine (labelled, self-cleaning).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['backend/src/**/*.test.ts', 'ui/src/**/*.test.{ts,tsx}', 'images/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['backend/src/**/*.int.test.ts', 'backend/test/**/*.int.test.ts', 'images/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
