import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PADDOCK_BIN, REPO, RUN_FILE, type RunInfo } from './global-setup';

/**
 * Whatever the run's daemon made that outlives it: its own egress proxy container and outbound
 * network (a test daemon gets its own, labelled with the run), and any sandbox a failed spec left.
 */
function removeLabelled(testRun: string): void {
  const label = `label=io.paddock.test=${testRun}`;
  const ids = (args: string[]) => {
    try {
      return execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 }).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const run = (args: string[]) => {
    try {
      execFileSync('docker', args, { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // already gone, or still in use by something we do not own: leave it
    }
  };
  const containers = ids(['ps', '-aq', '--filter', label]);
  if (containers.length) run(['rm', '-f', ...containers]);
  const networks = ids(['network', 'ls', '-q', '--filter', label]);
  if (networks.length) run(['network', 'rm', ...networks]);
  const volumes = ids(['volume', 'ls', '-q', '--filter', label]);
  if (volumes.length) run(['volume', 'rm', ...volumes]);
}

/** Stops the daemon setup started, removes its state and what its run left in the engine. */
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
    removeLabelled(run.testRun);
  }
  rmSync(RUN_FILE, { force: true });
}
