#!/usr/bin/env node
// Runs every test suite (or those named: unit, integration, security, e2e, desktop) on a fresh clone: installs
// dependencies, builds, makes sure an engine answers, then prints one closing line
// "N passed, N failed". No dependencies of its own, so it works before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// security: the battery of breakout attempts (backend/test/security, docs/security.md), after the
// integration suite because it drives the same real engine, before the browser tests.
// desktop: the packaged Docker Desktop extension in its host harness (e2e/desktop-host): builds the
// extension image, starts its backend as the Compose file says, drives the UI copied out of it.
const ALL = ['unit', 'integration', 'security', 'e2e', 'desktop'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length ? wanted : ALL;
for (const s of suites) if (!ALL.includes(s)) { console.error(`unknown suite "${s}"; use ${ALL.join(', ')}`); process.exit(2); }

function step(title, cmd, args, opts = {}) {
  const t0 = Date.now();
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return r.status ?? 1;
}
function must(title, cmd, args, opts) {
  if (step(title, cmd, args, opts) !== 0) { console.error(`✗ ${title} failed`); console.log('0 passed, 1 failed'); process.exit(1); }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) must('install dependencies (npm ci)', 'npm', ['ci', '--no-audit', '--no-fund']);
must('build', 'npm', ['run', 'build']);
const needsEngine = suites.some((s) => s !== 'unit');
if (needsEngine) {
  must('engine preflight', 'bash', ['scripts/preflight.sh']);
  // leftovers of an aborted earlier run
  if (!process.env.PADDOCK_TEST_NO_REAP) {
    step('reap leftovers of earlier test runs', 'bash', ['-c', [
      'ids=$(docker ps -aq --filter label=io.paddock.test); [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1',
      'ids=$(docker network ls -q --filter label=io.paddock.test); [ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1',
      'ids=$(docker volume ls -q --filter label=io.paddock.test); [ -n "$ids" ] && docker volume rm -f $ids >/dev/null 2>&1',
      'true',
    ].join('; ')]);
  }
}
if (suites.includes('e2e') || suites.includes('desktop')) must('browser (Debian chromium)', 'bash', ['scripts/install-browser.sh']);

const out = mkdtempSync(join(tmpdir(), 'paddock-test-results-'));
let passed = 0, failed = 0, skipped = 0;
const failedSuites = [];
// Every failing test with the start of its error, printed again after the closing table: a CI log
// is often read from its end, far from where the failure scrolled past.
const failures = [];
const firstLines = (text, n = 12) => String(text ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, n).join('\n    ');

function vitest(project, filter = [], label = project) {
  const file = join(out, `${label}.json`);
  const code = step(`${label} tests`, 'npx', ['vitest', 'run', '--project', project, ...filter, '--reporter=default', '--reporter=json', `--outputFile=${file}`]);
  let counted = false;
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    counted = true;
    if (r.numFailedTests || !r.success) failedSuites.push(label);
    for (const f of r.testResults ?? []) {
      const bad = (f.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of bad) failures.push(`[${label}] ${f.name.replace(root + '/', '')} › ${a.fullName}\n    ${firstLines(a.failureMessages?.[0])}`);
      if (!bad.length && f.status === 'failed') failures.push(`[${label}] ${f.name.replace(root + '/', '')}\n    ${firstLines(f.message)}`);
    }
  }
  if (code !== 0 && (!counted || !failedSuites.includes(label))) { failed += 1; failedSuites.push(label); }
}

if (suites.includes('unit')) vitest('unit');
if (suites.includes('integration')) vitest('integration');
if (suites.includes('security')) vitest('security');
function playwright(label, title, config) {
  const file = join(out, `${label}.json`);
  const code = step(title, 'npx', ['playwright', 'test', '-c', config, '--reporter=list,json'], {
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: file },
  });
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const s = report.stats ?? {};
    const walk = (suite, path) => {
      for (const spec of suite.specs ?? []) for (const t of spec.tests ?? []) {
        if (t.status !== 'unexpected') continue;
        const err = t.results?.at(-1)?.error?.message ?? t.results?.at(-1)?.errors?.[0]?.message;
        failures.push(`[${label}] ${[...path, spec.title].join(' › ')}\n    ${firstLines(err)}`);
      }
      for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
    };
    for (const top of report.suites ?? []) walk(top, [top.title]);
    passed += (s.expected ?? 0) + (s.flaky ?? 0); failed += s.unexpected ?? 0; skipped += s.skipped ?? 0;
    if (s.unexpected || code !== 0) failedSuites.push(label);
    if (code !== 0 && !s.unexpected) failed += 1;
  } else if (code !== 0) { failed += 1; failedSuites.push(label); }
}

if (suites.includes('e2e')) playwright('e2e', 'end-to-end tests (Playwright, Chromium)', 'e2e/playwright.config.ts');
if (suites.includes('desktop')) playwright('desktop', 'Docker Desktop extension in the host harness (Playwright, Chromium)', 'e2e/desktop-host/playwright.config.ts');

if (failures.length) console.log(`\nfailing tests:\n${failures.map((f) => `✗ ${f}`).join('\n')}`);
console.log(`\nsuites: ${suites.join(', ')}${failedSuites.length ? ` — failing: ${[...new Set(failedSuites)].join(', ')}` : ''}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || failedSuites.length ? 1 : 0);
