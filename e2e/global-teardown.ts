import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PADDOCK_BIN, REPO, RUN_FILE, type RunInfo } from './global-setup';

/** Stops the daemon setup started and removes its state. Sandboxes are removed by the spec itself. */
export default async function globalTeardown(): Promise<void> {
  let run: RunInfo;
  try {
    run = JSON.parse(readFileSync(RUN_FILE, 'utf8')) as RunInfo;
  } catch {
    return;
  }
  if (run.startedDaemon && run.stateDir) {
    const env = { ...process.env, PADDOCK_STATE_DIR: run.stateDir, PADDOCK_CONFIG_DIR: join(run.stateDir, 'config'), PADDOCK_PORT: String(run.port) };
    try {
      execFileSync('node', [PADDOCK_BIN, 'daemon', 'stop'], { cwd: REPO, env, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // already gone
    }
    if (!process.env.PADDOCK_E2E_KEEP_STATE) rmSync(run.stateDir, { recursive: true, force: true });
  }
  rmSync(RUN_FILE, { force: true });
}
