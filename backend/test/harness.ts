/**
 * Integration-test harness: a real paddockd (its own state dir and port) against the real
 * engine. Everything it creates carries io.paddock.test=<run>, and `reap` removes it all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaemonClient } from '../src/cli/client.js';
import { resolvePaths } from '../src/daemon/paths.js';

export const BACKEND_DIR = fileURLToPath(new URL('..', import.meta.url));
export const PADDOCK_BIN = join(BACKEND_DIR, 'bin', 'paddock.js');
export const PADDOCKD_BIN = join(BACKEND_DIR, 'bin', 'paddockd.js');
const TEST_LABEL = 'io.paddock.test';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Harness {
  readonly run = `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  readonly stateDir = mkdtempSync(join(tmpdir(), 'paddock-test-state-'));
  readonly configDir = mkdtempSync(join(tmpdir(), 'paddock-test-config-'));
  port = 0;
  /** Extra environment for paddockd and the CLI (set before start). */
  extraEnv: Record<string, string> = {};
  daemon: ChildProcess | null = null;
  client!: DaemonClient;

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PADDOCK_STATE_DIR: this.stateDir,
      PADDOCK_CONFIG_DIR: this.configDir,
      PADDOCK_PORT: String(this.port),
      PADDOCK_TEST_RUN: this.run,
      ...this.extraEnv,
    };
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.daemon = spawn(process.execPath, [PADDOCKD_BIN], { env: this.env, stdio: ['ignore', 'ignore', 'inherit'] });
    this.client = new DaemonClient(resolvePaths(this.env));
    const deadline = Date.now() + 60_000; // a busy 2-core CI machine can take a while
    while (Date.now() < deadline) {
      if (await this.client.status()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('paddockd did not start');
  }

  /** SIGKILL paddockd (sandboxes keep running). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const d = this.daemon;
    this.daemon = null;
    if (!d || d.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      d.once('exit', () => resolve());
      d.kill(signal);
    });
  }

  /** Run the CLI with this harness's environment. */
  cli(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [PADDOCK_BIN, ...args], { env: { ...this.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 900_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin.end(opts.input);
      else child.stdin.end();
    });
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    reapByLabel(`${TEST_LABEL}=${this.run}`);
    rmSync(this.stateDir, { recursive: true, force: true });
    rmSync(this.configDir, { recursive: true, force: true });
  }
}

/** Remove containers, networks and volumes carrying a label (the reaper). */
export function reapByLabel(label: string): void {
  const ids = (args: string[]) => spawnSync('docker', args, { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const containers = ids(['ps', '-aq', '--filter', `label=${label}`]);
  if (containers.length) spawnSync('docker', ['rm', '-f', ...containers]);
  const networks = ids(['network', 'ls', '-q', '--filter', `label=${label}`]);
  if (networks.length) spawnSync('docker', ['network', 'rm', ...networks]);
  const volumes = ids(['volume', 'ls', '-q', '--filter', `label=${label}`]);
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes]);
}

export function docker(args: string[]): CliResult {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Strip ANSI/terminal control sequences for assertions on visible text. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '').replace(/\x1bP[^\x1b]*\x1b\\/g, '').replace(/\x1b\[[0-9;?>=]*[ -/]*[@-~]/g, '').replace(/\x1b[()][A-Z0-9]/g, '').replace(/\x1b[=>78]/g, '').replace(/\r/g, '');
}

export function makeWorkspace(owner: { uid: number; gid: number } | null = { uid: 1000, gid: 1000 }): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-ws-'));
  if (owner) spawnSync('chown', [`${owner.uid}:${owner.gid}`, dir]);
  return dir;
}
