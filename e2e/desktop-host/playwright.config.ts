import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium';

/**
 * The packaged Docker Desktop extension in a host harness (see README.md): real extension image,
 * real engine, Debian's Chromium. Never `playwright install`.
 */
process.env.PADDOCK_DESKTOP_HOST = '1'; // the spec skips itself under other configs (e2e/playwright.config.ts matches it too)

export default defineConfig({
  testDir: '.',
  testMatch: /extension\.spec\.ts/,
  timeout: 25 * 60_000, // a cold run builds the extension image, then the shell agent image
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-results/desktop-host',
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
});
