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
          testTimeout: 30_000, // a few unit tests write 10,000 fsync'd records; slow disks need the room
        },
      },
      {
        test: {
          name: 'integration',
          include: ['backend/src/**/*.int.test.ts', 'backend/test/**/*.int.test.ts', 'images/**/*.int.test.ts'],
          // the security battery is its own suite (npm run test:security; npm test runs it after
          // this one): see docs/security.md
          exclude: ['**/node_modules/**', 'backend/test/security/**'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'security',
          include: ['backend/test/security/**/*.int.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
