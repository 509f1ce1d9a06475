#!/usr/bin/env node
/**
 * Installs or updates the extension in Docker Desktop:
 *   node extension/install.mjs install|update [--tag <image>]
 * Needs Docker Desktop's `docker extension` CLI plugin; validates the image first.
 */
import { spawnSync } from 'node:child_process';
import { tagFromArgs } from './config.mjs';
import { validate } from './validate.mjs';

const action = process.argv[2];
if (action !== 'install' && action !== 'update') {
  console.error('usage: install.mjs install|update [--tag <image>]');
  process.exit(2);
}
const tag = tagFromArgs(process.argv.slice(3));

if (spawnSync('docker', ['extension', 'version'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    [
      'paddock: the `docker extension` command is not available here, so the extension cannot be installed.',
      'It ships with Docker Desktop (Settings → Extensions must be enabled). On a machine with Docker Desktop:',
      `  npm run extension:build && npm run extension:${action}`,
      'Without Docker Desktop, run the standalone dashboard instead (npm run up), or try the packaged',
      'extension in the test harness: npx playwright test -c e2e/desktop-host/playwright.config.ts',
    ].join('\n'),
  );
  process.exit(1);
}
const report = validate({ image: tag });
if (!report.ok) {
  for (const e of report.errors) console.error(`error    ${e}`);
  console.error(`paddock: ${tag} is not a valid extension image; fix the errors above (npm run extension:validate).`);
  process.exit(1);
}
// --force: no interactive confirmation (the image is local and was just validated).
const r = spawnSync('docker', ['extension', action, '--force', tag], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`paddock: ${action === 'install' ? 'installed' : 'updated'} ${tag}. Open Docker Desktop → Extensions → Paddock.`);
