import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium';

/** Real Chromium (Debian's), real paddockd, real engine. Never `playwright install`. */
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  testIgnore: ['**/desktop-host/**'], // the Docker Desktop host specs have their own config
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  timeout: 15 * 60_000, // the first run builds the base and shell images
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../test-results/e2e',
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 60_000, // a click that cannot happen fails within a minute instead of eating the test timeout
    launchOptions: chromiumLaunchOptions,
  },
});
