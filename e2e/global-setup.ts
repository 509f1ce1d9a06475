/**
 * Starts a real paddockd for the dashboard e2e: temp state dir, its own port, test-run label
 * on everything it creates, then a one-time login URL from `paddock dashboard --json`.
 * Set PADDOCK_URL yourself to run against a daemon you started (nothing is started or stopped then).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PADDOCK_BIN = join(REPO, 'backend', 'bin', 'paddock.js');
/** Where setup leaves what teardown and the specs need (env vars do not reach workers reliably). */
export const RUN_FILE = join(REPO, 'e2e', '.run.json');

export interface RunInfo {
  stateDir: string | null;
  port: number | null;
  testRun: string;
  startedDaemon: boolean;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, allowFail = false): string {
  try {
    return execFileSync(cmd, args, { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (e) {
    if (allowFail) return '';
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

export default async function globalSetup(): Promise<void> {
  const testRun = `e2e-ui-${Date.now().toString(36)}`;
  if (process.env.PADDOCK_URL) {
    writeFileSync(RUN_FILE, JSON.stringify({ stateDir: null, port: null, testRun, startedDaemon: false } satisfies RunInfo));
    return;
  }
  if (!process.env.PADDOCK_E2E_SKIP_BUILD) {
    // The daemon serves ui/dist; the CLI and daemon run from backend/dist.
    sh('npm', ['run', 'build', '-w', 'ui']);
    // tsc still emits when another file has a type error; a failed typecheck is the backend's to fix, not this run's.
    sh('npm', ['run', 'build', '-w', 'backend'], process.env, existsSync(join(REPO, 'backend', 'dist', 'cli', 'main.js')));
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'paddock-e2e-state-'));
  const port = await freePort();
  const env = { ...process.env, PADDOCK_STATE_DIR: stateDir, PADDOCK_CONFIG_DIR: join(stateDir, 'config'), PADDOCK_PORT: String(port), PADDOCK_TEST_RUN: testRun };
  writeFileSync(RUN_FILE, JSON.stringify({ stateDir, port, testRun, startedDaemon: true } satisfies RunInfo));
  sh('node', [PADDOCK_BIN, 'daemon', 'start'], env);
  const out = sh('node', [PADDOCK_BIN, 'dashboard', '--no-open', '--json'], env);
  const { url } = JSON.parse(out.trim().split('\n').pop()!) as { url: string };
  process.env.PADDOCK_URL = url;
  process.env.PADDOCK_STATE_DIR = stateDir;
}
