/**
 * A real paddockd started just for the bench (own state dir, free port) and the raw-docker side.
 * Everything either side creates carries io.paddock.test=<run>, and `reap` removes it all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PADDOCK_BIN = join(ROOT, 'backend', 'bin', 'paddock.js');
export const PADDOCKD_BIN = join(ROOT, 'backend', 'bin', 'paddockd.js');
export const TEST_LABEL = 'io.paddock.test';
const DAEMON_START_TIMEOUT_MS = 60_000; // paddockd answers /status within a second or two; a loaded host is slower
const CLI_TIMEOUT_MS = 600_000; // a cold image build is the slowest thing the CLI may do

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(a.port));
    });
    srv.on('error', reject);
  });
}

/** Run a command, collect output; resolves with { code, stdout, stderr, ms }. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? CLI_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but throws when the command fails: a benchmark reports, except when an operation itself fails. */
export async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 800)}`);
  return r;
}

export const docker = (args, opts) => run('docker', args, opts);
export const mustDocker = (args, opts) => must('docker', args, opts);

export class BenchDaemon {
  constructor(runId) {
    this.run = runId;
    this.stateDir = mkdtempSync(join(tmpdir(), 'paddock-bench-state-'));
    this.configDir = mkdtempSync(join(tmpdir(), 'paddock-bench-config-'));
    this.port = 0;
    this.proc = null;
    this.workspaces = [];
  }

  get label() {
    return `${TEST_LABEL}=${this.run}`;
  }

  get socketPath() {
    return join(this.stateDir, 'paddockd.sock');
  }

  get env() {
    return {
      ...process.env,
      PADDOCK_STATE_DIR: this.stateDir,
      PADDOCK_CONFIG_DIR: this.configDir,
      PADDOCK_PORT: String(this.port),
      PADDOCK_TEST_RUN: this.run,
    };
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.proc = spawn(process.execPath, [PADDOCKD_BIN], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (b) => {
      this.stderr = (this.stderr + b).slice(-4000);
    });
    const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const r = await this.cli(['daemon', 'status'], { timeoutMs: 5000 }).catch(() => null);
      if (r && r.code === 0) return;
      if (this.proc.exitCode !== null) break;
      await sleep(150);
    }
    throw new Error(`paddockd did not start: ${this.stderr.slice(-800)}`);
  }

  get pid() {
    return this.proc?.pid ?? 0;
  }

  cli(args, opts = {}) {
    return run(process.execPath, [PADDOCK_BIN, ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  async mustCli(args, opts = {}) {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`paddock ${args.join(' ')} failed (${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 800)}`);
    return r;
  }

  /** A fresh workspace folder owned by uid 1000 (the usual first user), removed at stop. */
  workspace(prefix = 'ws') {
    const dir = mkdtempSync(join(tmpdir(), `paddock-bench-${prefix}-`));
    try {
      chownSync(dir, 1000, 1000);
    } catch {
      /* not root: the sandbox uses the caller's uid */
    }
    this.workspaces.push(dir);
    return dir;
  }

  async stop() {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      await new Promise((resolve) => {
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        p.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        p.kill('SIGTERM');
      });
    }
    reapByLabel(this.label);
    for (const d of [this.stateDir, this.configDir, ...this.workspaces]) rmSync(d, { recursive: true, force: true });
  }
}

const REAP_NETWORK_ATTEMPTS = 10; // the engine can hold a removed container's endpoint for a moment; retry, bounded

/** Remove containers, networks and volumes carrying a label (the reaper). */
export function reapByLabel(label) {
  const ids = (args) => spawnSync('docker', args, { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const containers = ids(['ps', '-aq', '--filter', `label=${label}`]);
  if (containers.length) spawnSync('docker', ['rm', '-f', '-v', ...containers]);
  for (let i = 0; i < REAP_NETWORK_ATTEMPTS; i++) {
    const networks = ids(['network', 'ls', '-q', '--filter', `label=${label}`]);
    if (!networks.length) break;
    spawnSync('docker', ['network', 'rm', ...networks]);
    spawnSync('sleep', ['1']);
  }
  const volumes = ids(['volume', 'ls', '-q', '--filter', `label=${label}`]);
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A JSON request to paddockd over its Unix socket (no token needed there). */
export async function api(daemon, method, path, body) {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: daemon.socketPath, method, path: `/api/v1${path}`, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${data.slice(0, 400)}`));
        else resolve(data ? JSON.parse(data) : null);
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** Resident set size of a process in bytes (VmRSS), 0 when it is gone. */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size of a process in bytes (smaps_rollup), falling back to RSS. */
export function pssOf(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* gone or not readable */
  }
  return rssOf(pid);
}

/** Direct children of a process. */
export function childrenOf(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

const SETUP_ATTEMPTS = 3; // untimed setup only: a transient failure (egress proxy still booting) gets two more tries

/**
 * `paddock run -d` for untimed setup. When the CLI fails but the sandbox is there and running
 * (e.g. "Saved, but the egress proxy did not take the change" while the proxy still boots on a
 * loaded host), carry on; when it is not, remove it and try again. Every failure is remembered
 * in `warnings` and shows under the table.
 */
export async function setupSandbox(daemon, name, args, warnings = []) {
  let last = '';
  for (let attempt = 1; attempt <= SETUP_ATTEMPTS; attempt++) {
    // a fresh name per attempt: `paddock rm` of a half-made sandbox has been seen to leave its network behind
    const n = attempt === 1 ? name : `${name}-r${attempt}`;
    const r = await daemon.cli(['run', '-d', ...args, '--name', n]);
    if (r.code === 0) return n;
    last = `paddock run -d ${args.join(' ')} --name ${n} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`;
    warnings.push(`setup attempt ${attempt}: ${last}`);
    for (let i = 0; i < 30; i++) {
      const info = await api(daemon, 'GET', `/sandboxes/${n}`).catch(() => null);
      if (info?.state === 'running') return n;
      if (!info) break;
      await sleep(2000);
    }
    await daemon.cli(['rm', '-f', n]);
    await sleep(2000 * attempt);
  }
  throw new Error(last);
}

/** Leftovers of earlier bench runs that were killed before they could reap (run ids start with "bench"). */
export function reapEarlierBenchRuns() {
  const values = new Set();
  for (const kind of ['ps -a', 'network ls', 'volume ls']) {
    const r = spawnSync('docker', [...kind.split(' '), '--filter', `label=${TEST_LABEL}`, '--format', `{{.Label "${TEST_LABEL}"}}`], { encoding: 'utf8' });
    for (const v of r.stdout.split('\n')) if (/^bench[0-9a-z]{6,}$/.test(v.trim())) values.add(v.trim());
  }
  for (const v of values) reapByLabel(`${TEST_LABEL}=${v}`);
  return [...values];
}
