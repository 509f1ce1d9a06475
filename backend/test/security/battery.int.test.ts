/**
 * The security battery: attacks run from INSIDE real sandboxes, on every isolation tier the engine
 * offers, and each must fail. Every outcome (held / broke, with the evidence) goes into a table
 * that the run writes into docs/security.md between the battery markers.
 *
 * Ground rules of the attacks:
 * - "root" means the sandbox's own root (`paddock exec --root`, or sudo as the agent). The
 *   question is never "can it become root inside" but "can that root reach anything outside".
 * - Writes that would harm the host if they succeeded write back the value already there, so a
 *   hole shows up as a successful write, not as a damaged host.
 * - Network attacks only target addresses of this machine and the project's own containers. The
 *   metadata address is never contacted: the test proves there is no path to it instead.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEPT_CAPABILITIES, LOG_MAX_FILES, LOG_MAX_SIZE } from '../../src/core/spec.js';
import type { Isolation, RuntimeInfo, SandboxInfo } from '../../src/core/protocol.js';
import { DockerEngine } from '../../src/engine/docker.js';
import { DiskWatch, type Exceeded } from '../../src/sandboxes/disk-watch.js';
import { BACKEND_DIR, Harness, docker, freePort, makeWorkspace, type CliResult } from '../harness.js';

const RESPONSIVE_BUDGET_MS = 10_000; // two cores shared with other test runs: generous on purpose
const EXEC_TIMEOUT_MS = 240_000; // an exec into a sandbox that dies mid-attack may never return; gVisor on a loaded host is slow
const CONNECT_TIMEOUT_S = 3; // a dropped SYN would otherwise hang for minutes
const ATTACKER_MEMORY = '1536m'; // above the 1 GiB /tmp bound, so the tmpfs limit (not OOM) stops the fill
// The pids limit counts host tasks. Under gVisor (ptrace platform) that is the Sentry's threads and
// one stub per emulated thread, and the Sentry dies when it cannot get a thread: 256 would kill the
// gVisor sandbox during ordinary attacks (two dozen parallel connects), so it gets Paddock's default.
const ATTACKER_PIDS: Record<Isolation, number> = { container: 256, gvisor: 1024, microvm: 256 };
const LOG_FLOOD_BYTES = 24 * 1024 ** 2; // a fifth past the engine's bound (2 × 10m)
const DISK_LIMIT_BYTES = 256 * 1024 ** 2; // the test's writable-layer bound (paddockd's default is 20g)
const DISK_FILL_MB = 3000; // far beyond the bound: the watch must stop the writer well before
const DOC_PATH = join(BACKEND_DIR, '..', 'docs', 'security.md');
const DOC_BEGIN = '<!-- battery:begin -->';
const DOC_END = '<!-- battery:end -->';

const h = new Harness();
const engine = new DockerEngine();
const TIERS: Isolation[] = ['container', 'gvisor'];
// PADDOCK_SECURITY_TIERS=gvisor runs one tier (for debugging); such partial runs never write the doc.
const ONLY = process.env.PADDOCK_SECURITY_TIERS?.split(',').map((t) => t.trim()) ?? null;
const available = new Map<Isolation, boolean>();
const token = randomBytes(12).toString('hex');
const hostDir = mkdtempSync(join(tmpdir(), 'paddock-sec-host-')); // a host folder next to the workspaces, outside them
const hostFile = join(hostDir, 'secret.txt');
const hostFileContent = `HOST-SECRET-${token}\n`;
const servers: Server[] = [];
let loopbackPort = 0;
const startedAt = Date.now();
let anyAddrPort = 0;

// ---- results ------------------------------------------------------------------------------

interface Attack {
  id: string;
  title: string;
  tries: string;
}
interface Outcome {
  held: boolean;
  inconclusive?: boolean;
  /** Not held, for a reason outside Paddock that docs/security.md explains; shown as BROKE. */
  knownGap?: string;
  evidence: string;
}
const attacks: Attack[] = [];
const outcomes = new Map<string, Outcome>(); // `${attack}|${tier}`
let current: { name: string; started: string; expectStop: boolean } | null = null; // the attacker of the running attack

function attack(id: string, title: string, tries: string): Attack {
  const a = { id, title, tries };
  attacks.push(a);
  return a;
}

/**
 * `knownGap`: only for a hole whose cause is outside Paddock and which docs/security.md explains
 * (today: gVisor releases before 2026-03 do not filter `docker exec` processes). The row still
 * reads BROKE in the table and is not counted as held; it just does not fail the suite.
 */
function record(a: Attack, tier: Isolation, held: boolean, evidence: string, knownGap?: string): void {
  // A sandbox that dies under an attack (gVisor's Sentry can) is a denial of service on itself, not an
  // escape: the host-side checks still decide. It is noted in the table; the next attack restarts it.
  if (current && !current.expectStop) {
    const st = inspect(current.name).State;
    if (st.StartedAt === current.started && st.Status !== 'running') evidence += `; the attacking sandbox itself died during the attack (exit ${st.ExitCode})`;
  }
  const inconclusive = !held && timedOut;
  if (inconclusive) evidence = `an exec of this attack did not finish within ${EXEC_TIMEOUT_MS / 1000} s, so nothing was proven (${evidence})`;
  timedOut = false;
  const gap = !held && !inconclusive && knownGap ? knownGap : undefined;
  outcomes.set(`${a.id}|${tier}`, { held, inconclusive, ...(gap ? { knownGap: gap } : {}), evidence: evidence.replace(/\s+/g, ' ').trim() });
  if (gap) return;
  expect(held, `${a.title} on ${tier}: ${evidence}`).toBe(true);
}

// ---- helpers --------------------------------------------------------------------------------

const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];
const keptMask = KEPT_CAPABILITIES.reduce((m, c) => m | (1n << BigInt(CAP_NAMES.indexOf(c))), 0n);

function decodeCaps(hex: string): string[] {
  const v = BigInt('0x' + hex);
  return CAP_NAMES.filter((_, i) => (v >> BigInt(i)) & 1n);
}

function statusField(text: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1];
}

let timedOut = false; // an exec of the current attack was killed by its timeout: the result proves nothing

/** An exec through paddockd's API (the CLI's `paddock exec` makes the same request, minus a node start). */
async function sh(name: string, script: string, opts: { root?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
  const ms = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<CliResult>((res) => { timer = setTimeout(() => { timedOut = true; res({ code: -1, stdout: '', stderr: `timed out after ${ms} ms` }); }, ms); });
  const req = h.client
    .request<{ exitCode: number; stdout: string; stderr: string }>('POST', `/sandboxes/${encodeURIComponent(name)}/exec`, { cmd: ['bash', '-c', script], root: Boolean(opts.root) })
    .then((r) => ({ code: r.exitCode, stdout: r.stdout, stderr: r.stderr }), (err: unknown) => ({ code: 1, stdout: '', stderr: String((err as Error)?.message ?? err) }));
  try {
    return await Promise.race([req, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run a script in the sandbox's own process tree: a new window of the agent's tmux session, where
 * the agent and everything it starts live (a `docker exec` process is outside that tree, and gVisor
 * before 2026-03 does not filter those). `root` runs it through sudo, as an agent would.
 */
async function inAgentTree(name: string, script: string, opts: { root?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const f = `/tmp/paddock-sec-${randomBytes(4).toString('hex')}`;
  const b64 = Buffer.from(script).toString('base64');
  // setuid binaries (sudo) do not elevate under gVisor 2022: there the agent's tree has no root, so
  // it tries as the agent (NOSUDO says so in the output).
  const cmd = opts.root
    ? `{ if sudo -n true 2>/dev/null; then sudo -n bash ${f}.sh; else echo "NOSUDO $(sudo -n true 2>&1 | head -1)"; bash ${f}.sh; fi; } > ${f}.out 2>&1; echo END >> ${f}.out`
    : `bash ${f}.sh > ${f}.out 2>&1; echo END >> ${f}.out`;
  const start = await sh(name, `echo ${b64} | base64 -d > ${f}.sh && tmux -S /run/paddock/tmux.sock new-window -d -t agent: '${cmd}' && echo started`);
  expect(start.stdout + start.stderr, 'a window opened in the agent\'s tmux session').toContain('started');
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const r = await sh(name, `cat ${f}.out 2>/dev/null`);
    if (/^END$/m.test(r.stdout)) return r.stdout;
    if (Date.now() > deadline) {
      timedOut = true;
      return r.stdout;
    }
    await new Promise((res) => setTimeout(res, 400));
  }
}

/** Every way a root process could put a setuid/setgid bit on a file in `dir`; prints one line per attempt. */
function setidScript(dir: string): string {
  return [
    `cd ${dir} || exit 1`,
    'echo "filter $(grep Seccomp: /proc/self/status | tr -s "\t " " ")"',
    'cp /usr/bin/python3 suid-py && chown 0:0 suid-py',
    'for m in 4755 2755 u+s g+s; do chmod $m suid-py 2>/dev/null && echo "chmod $m OK" || echo "chmod $m refused"; done',
    'install -m 4755 /usr/bin/python3 suid-install 2>/dev/null && echo "install -m 4755 OK" || echo "install -m 4755 refused"',
    `cp -p /usr/bin/sudo suid-cp-p 2>/dev/null; python3 -c 'import os; print("cp -p of sudo: mode %o" % (os.stat("suid-cp-p").st_mode & 0o7777))' 2>/dev/null || echo "cp -p of sudo: mode none"`,
    `python3 - <<'PY'
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
def t(name, f):
    try:
        r = f()
        print(name, 'OK' if r is None or r >= 0 else 'refused ' + errno.errorcode.get(ctypes.get_errno(), '?'))
    except OSError as e:
        print(name, 'refused', errno.errorcode.get(e.errno, e.errno))
t('os.chmod 4755', lambda: os.chmod('suid-py', 0o4755))
t('fchmod 4755', lambda: os.fchmod(os.open('suid-py', os.O_RDONLY), 0o4755))
t('fchmodat 6755', lambda: os.chmod('suid-py', 0o6755, dir_fd=os.open('.', os.O_RDONLY)))
t('open O_CREAT 4755', lambda: os.close(os.open('suid-open', os.O_CREAT | os.O_WRONLY, 0o4755)))
t('mknod S_IFREG 4755', lambda: os.mknod('suid-mknod', 0o100000 | 0o4755))
def tmpfile():
    fd = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o4755)
    os.link('/proc/self/fd/%d' % fd, 'suid-tmpfile', follow_symlinks=True)
t('O_TMPFILE 4755 + link', tmpfile)
class How(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]
how = How(os.O_CREAT | os.O_WRONLY, 0o4755, 0)
t('openat2 O_CREAT 4755', lambda: libc.syscall(437, -100, b'suid-openat2', ctypes.byref(how), 24))
t('fchmodat2 4755', lambda: libc.syscall(452, -100, b'suid-py', 0o4755, 0))
params = ctypes.create_string_buffer(120)
t('io_uring_setup', lambda: libc.syscall(425, 8, params))
PY`,
  ].join('\n');
}

/** Files under `dir` (on the host) carrying a setuid or setgid bit. */
/**
 * Files in the workspace that would make a host user who runs them root: setuid with owner 0 or
 * setgid with group 0. (A setuid file of the workspace owner only makes its runner that owner, the
 * user the agent already writes the workspace as.)
 */
function setidFilesOnHost(dir: string): string[] {
  const found: string[] = [];
  for (const n of readdirSync(dir)) {
    const st = lstatSync(join(dir, n));
    const rootUid = (st.mode & 0o4000) !== 0 && st.uid === 0;
    const rootGid = (st.mode & 0o2000) !== 0 && st.gid === 0;
    if (st.isFile() && (rootUid || rootGid)) found.push(`${n} (owner ${st.uid}:${st.gid}, mode ${(st.mode & 0o7777).toString(8)})`);
  }
  return found;
}

/** runsc registered without --oci-seccomp: gVisor does not apply the container's seccomp profile. */
function runscIgnoresProfile(): string | undefined {
  try {
    const d = JSON.parse(readFileSync('/etc/docker/daemon.json', 'utf8')) as { runtimes?: Record<string, { runtimeArgs?: string[] }> };
    const args = d.runtimes?.runsc?.runtimeArgs;
    if (args && !args.some((x) => /^--?oci-seccomp(=true)?$/.test(x))) {
      return "runsc runs without --oci-seccomp (with it, Debian's 2022 runsc logs every interactive shell out at once), so gVisor does not apply Paddock's profile inside; gVisor's own host processes stay under seccomp";
    }
  } catch {
    // no readable daemon.json: unknown
  }
  return undefined;
}

function removeAttempts(dir: string): void {
  for (const n of readdirSync(dir)) if (n.startsWith('suid-')) rmSync(join(dir, n), { force: true });
}

/** gVisor applies the OCI seccomp profile to `docker exec` processes only since 2026-03 (google/gvisor#12692). */
function runscExecUnfiltered(): string | undefined {
  const v = spawnSync('runsc', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const d = /(20\d{6})/.exec(v)?.[1];
  return d && Number(d) < 20260308 ? `runsc ${d} does not apply the seccomp profile to \`docker exec\` processes (gVisor fixed it in 2026-03, google/gvisor#12692)` : undefined;
}


const out = (r: CliResult): string => r.stdout + r.stderr;
const short = (s: string, n = 140): string => (s.length > n ? s.slice(0, n) + '…' : s);

/** The other sandbox and paddockd, timed while an attack runs. */
async function probe(victim: string): Promise<{ execMs: number; apiMs: number; ok: boolean }> {
  const t0 = Date.now();
  const r = await sh(victim, 'true', { timeoutMs: 60_000 });
  const execMs = Date.now() - t0;
  const t1 = Date.now();
  const st = await h.client.status();
  const apiMs = Date.now() - t1;
  return { execMs, apiMs, ok: r.code === 0 && st !== null };
}

/**
 * Responsive = answering within RESPONSIVE_BUDGET_MS, or within 3× (+2 s) what the same probe took
 * with no attack running (`baseline`, measured per tier before its first attack): an exec into a
 * gVisor sandbox on a loaded two-core machine takes seconds even when nothing attacks it.
 */
const baseline = new Map<Isolation, { execMs: number; apiMs: number }>();
let tierNow: Isolation = 'container';
const budget = (base: number): number => Math.max(RESPONSIVE_BUDGET_MS, 3 * base + 2000);

function responsiveText(p: { execMs: number; apiMs: number; ok: boolean }): string {
  const b = baseline.get(tierNow);
  const base = b ? ` (idle ${b.execMs} / ${b.apiMs} ms)` : '';
  return p.ok ? `other sandbox \`exec true\` ${p.execMs} ms, paddockd ${p.apiMs} ms${base}` : `other sandbox or paddockd did NOT answer (${p.execMs} ms)`;
}

const responsive = (p: { execMs: number; apiMs: number; ok: boolean }): boolean => {
  const b = baseline.get(tierNow) ?? { execMs: 0, apiMs: 0 };
  return p.ok && p.execMs < budget(b.execMs) && p.apiMs < budget(b.apiMs);
};

/** Run an attack, probe responsiveness once it has had time to bite, then wait for the attack. */
async function during<T>(attackRun: Promise<T>, victim: string, biteMs: number): Promise<[T, Awaited<ReturnType<typeof probe>>]> {
  await new Promise((r) => setTimeout(r, biteMs));
  const p = await probe(victim);
  return [await attackRun, p];
}

function inspect(name: string): { Id: string; State: { Pid: number; Status: string; StartedAt: string; ExitCode: number }; LogPath: string; NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string; NetworkID: string }> } } {
  return JSON.parse(docker(['inspect', name]).stdout)[0];
}

function sizeRwOf(name: string): number {
  return Number(docker(['inspect', '--size', '-f', '{{.SizeRw}}', name]).stdout.trim());
}

/** Host processes of a container: everything under its containerd shim (tini or runsc, and every exec). */
function hostProcessesOf(name: string): number[] {
  const pid = inspect(name).State.Pid;
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const shim = parent.get(pid) ?? pid;
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) if (pp === p) { found.push(child); walk(child); }
  };
  walk(shim);
  return found;
}

function userNsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`);
  } catch {
    return null;
  }
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
}

function listen(host: string, banner: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer((c) => c.end(banner));
    srv.on('error', reject);
    srv.listen(0, host, () => {
      servers.push(srv);
      const a = srv.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/**
 * A snippet that tries TCP to each ip:port, all at once from one process (threads), and prints
 * `OPEN ip:port <banner>` for those that connect, `closed ip:port <error>` for the rest, then END.
 * One process on purpose: two dozen short-lived processes at once (bash + timeout per target)
 * crash gVisor 2022's Sentry on the ptrace platform, which proved nothing about the network.
 */
function connectScript(targets: string[]): string {
  return `python3 - <<'PADDOCK_PY'
import socket, threading
out = {}
def probe(t):
    ip, port = t.rsplit(':', 1)
    s = socket.socket()
    s.settimeout(${CONNECT_TIMEOUT_S})
    try:
        s.connect((ip, int(port)))
        try:
            s.settimeout(1)
            b = s.recv(80).decode(errors='replace').replace('\\n', '')
        except Exception:
            b = ''
        out[t] = 'OPEN %s %s' % (t, b)
    except Exception as e:
        out[t] = 'closed %s %s' % (t, type(e).__name__)
    finally:
        s.close()
threads = [threading.Thread(target=probe, args=(t,)) for t in ${JSON.stringify(targets)}]
for x in threads: x.start()
for x in threads: x.join()
for t in sorted(out): print(out[t])
print('END')
PADDOCK_PY`;
}

const openLines = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('OPEN '));
/** The attack's script ran to its end (an exec into a dead sandbox proves nothing). */
const ran = (r: CliResult): boolean => /^END$/m.test(r.stdout);

async function ensureRunning(name: string): Promise<void> {
  const info = await h.client.request<SandboxInfo>('GET', `/sandboxes/${encodeURIComponent(name)}`);
  if (info.state !== 'running') expect((await h.cli(['start', name])).code).toBe(0);
}

/**
 * A script listing files that hold `pattern` anywhere but /proc, /sys and /usr. Only files written
 * since the run began are read: the pattern is random per run, so no older file can hold it (a host
 * file that leaks in carries its host mtime, which is newer). Under gVisor this is minutes faster.
 */
const grepNewScript = (pattern: string): string =>
  `find / \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -type f -newermt @${Math.floor(startedAt / 1000) - 60} -print0 2>/dev/null | xargs -0 -r grep -lIs '${pattern}' 2>/dev/null | head -3 | sed 's/^/HOLDS /'`;

// ---- the attacks ----------------------------------------------------------------------------

const A = {
  hostRead: attack('host-read', 'read host files outside the workspace', 'reads a marker file the test put next to the workspace on the host, and greps every readable place for its content'),
  hostWrite: attack('host-write', 'write host files outside the workspace', 'as root, writes to the marker file\'s host path and to /etc; the host copies must stay unchanged'),
  symlink: attack('symlink', 'symlink escape', 'symlinks in the workspace to /etc/shadow, to the host marker and to /, made inside and on the host; reads and writes through them'),
  hardlink: attack('hardlink', 'hard-link escape', 'hard-links /etc/shadow and the host marker into the workspace'),
  mknod: attack('mknod', 'mknod a host device', 'as root, creates the host disk\'s block device (and /dev/mem) in /tmp and in the workspace and reads from it'),
  mount: attack('mount', 'mount', 'as root, mounts tmpfs, proc, a bind of / and a cgroup hierarchy'),
  userns: attack('userns', 'unshare -U / unshare -r', 'creates a user namespace (as the agent and as root) to gain capabilities in it; the host checks that none of the sandbox\'s processes is in a new user namespace'),
  setuid: attack('setuid', 'setuid-root binary', 'root tries to make a setuid-root copy of python3 in the workspace; the agent runs what it got, and the image\'s own setuid-root sudo and mount: they may give the sandbox\'s root, but no capability beyond the documented set'),
  setuidHost: attack('setuid-host', 'setuid-root file left for the host', 'from the agent\'s own process tree, as root (sudo): chmod/fchmod/fchmodat/fchmodat2 to 4755/2755, install -m 4755, cp -p of sudo, open/O_TMPFILE/openat2/mknod creating a 4755 file, io_uring; the host then looks for any setuid-root or setgid-root file in the workspace (a host user who ran one would become host root)'),
  setuidExec: attack('setuid-exec', 'setuid-root file via a process paddockd starts', 'the same attempts from a `docker exec` process as root: paddockd execs paddock-ctl and tmux in every sandbox, and the sandbox\'s root can replace those binaries, so an agent with root inside can reach this path too'),
  procSys: attack('proc-sys', 'write /proc/sys', 'as root, writes kernel.sysrq, vm.overcommit_memory and net.ipv4.ip_forward (their current values)'),
  corePattern: attack('core-pattern', 'write core_pattern', 'as root, writes /proc/sys/kernel/core_pattern (its current value: a pipe handler there runs as host root)'),
  releaseAgent: attack('release-agent', 'cgroup release_agent', 'as root, writes every release_agent it can find and mounts a fresh cgroup hierarchy to get one (CVE-2022-0492)'),
  binfmt: attack('binfmt', 'register a binfmt_misc handler', 'as root, registers a handler in /proc/sys/fs/binfmt_misc and mounts binfmt_misc'),
  engineSocket: attack('engine-socket', 'reach the engine', 'searches every mount (the only way in for a host socket) and /run, /tmp for sockets, DOCKER_HOST and the usual socket paths, and tries the engine\'s TCP ports 2375/2376 on every host address'),
  ptrace: attack('ptrace', 'see or ptrace host processes', 'lists every process it can see, and ptrace-attaches to paddockd\'s host pid'),
  caps: attack('caps', 'capability and seccomp report', 'amicontained-style: CapEff/CapBnd of root and of the agent from /proc/self/status, Seccomp mode (for gVisor, of its host processes)'),
  paddockd: attack('paddockd-api', "reach paddockd's API", "paddockd's TCP port on the gateway and every host address; its Unix socket at its host path and on every mount (the only way in for a host socket)"),
  hostLoopback: attack('host-loopback', 'reach a host service on 127.0.0.1', 'the test listens on the host\'s 127.0.0.1; the sandbox tries that port on the gateway and every host address'),
  hostAny: attack('host-any', 'reach a host service on 0.0.0.0', 'the test listens on all host addresses; the sandbox tries that port on the gateway and every host address'),
  metadata: attack('metadata', 'reach the metadata address', 'never contacted: the sandbox\'s route to 169.254.169.254 goes to the gateway, and the host must drop anything forwarded off the internal network (engine isolation rule present, address not local)'),
  otherSandbox: attack('other-sandbox', 'reach another sandbox', 'a second sandbox serves HTTP on its own address (checked from itself); the first tries to connect'),
  otherHome: attack('other-home', "read or write another sandbox's home and workspace", 'a marker in the second sandbox\'s HOME and workspace; the first looks for it everywhere and writes to the second\'s workspace path'),
  forkBomb: attack('fork-bomb', 'fork bomb', 'a classic bash fork bomb for 10 s; stopped by the pids limit'),
  memoryHog: attack('memory-hog', 'memory hog', 'allocates 64 MiB blocks until stopped; the OOM killer must act inside the sandbox only'),
  tmpFill: attack('tmp-fill', 'fill /tmp', 'writes 1100 MiB to /tmp (76 MiB past the bound); stopped by the tmpfs size (1 GiB)'),
  logFlood: attack('log-flood', 'log flood', `writes ${LOG_FLOOD_BYTES / 1024 ** 2} MiB to the container's stdout; the engine's json-file log must stay within ${LOG_MAX_FILES} × ${LOG_MAX_SIZE}`),
  diskFill: attack('disk-fill', 'fill the writable layer', `writes ${DISK_FILL_MB} MB outside the workspace; the disk watch (limit here ${DISK_LIMIT_BYTES / 1024 ** 2} MiB) stops the sandbox`),
};

// ---- setup ----------------------------------------------------------------------------------

beforeAll(async () => {
  writeFileSync(hostFile, hostFileContent, { mode: 0o644 });
  chmodSync(hostDir, 0o755); // readable by anyone on the host: only the sandbox boundary protects it
  await h.start();
  const runtimes = await h.client.request<RuntimeInfo[]>('GET', '/runtimes');
  for (const r of runtimes) available.set(r.isolation, r.available && (!ONLY || ONLY.includes(r.isolation)));
  loopbackPort = await listen('127.0.0.1', `LOOPBACK-${token}\n`);
  anyAddrPort = await listen('0.0.0.0', `ANYADDR-${token}\n`);
});

afterAll(async () => {
  for (const s of servers) s.close();
  await h.stop();
  rmSync(hostDir, { recursive: true, force: true });
  writeDoc();
});

function writeDoc(): void {
  if (outcomes.size === 0) return;
  if (ONLY || process.env.PADDOCK_SECURITY_DOC === '0') {
    // partial runs never touch the doc; their results go to the log
    for (const [k, o] of outcomes) console.log(`${k}: ${o.held ? 'held' : o.knownGap ? 'BROKE (known gap)' : o.inconclusive ? 'inconclusive' : 'BROKE'} — ${o.evidence}`);
    return;
  }
  const tiers = TIERS.filter((t) => [...outcomes.keys()].some((k) => k.endsWith(`|${t}`)));
  const info = spawnSync('docker', ['version', '-f', '{{.Server.Version}}'], { encoding: 'utf8' }).stdout.trim();
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const cell = (o: Outcome | undefined): string => (o ? `${o.held ? 'held' : o.inconclusive ? '*inconclusive*' : o.knownGap ? '**BROKE** (known gap: see below)' : '**BROKE**'} — ${o.evidence.replace(/\|/g, '\\|')}` : 'not run');
  const lines = [
    DOC_BEGIN,
    `Last run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, engine ${info}, kernel ${kernel}, tiers: ${tiers.join(', ')}` +
      `${TIERS.filter((t) => !tiers.includes(t)).map((t) => ` (${t}: not available here)`).join('')}.`,
    `Held: ${[...outcomes.values()].filter((o) => o.held).length} of ${outcomes.size}` +
      `${[...outcomes.values()].some((o) => o.knownGap) ? `; known gaps (BROKE, explained below, not failing the suite): ${[...outcomes.values()].filter((o) => o.knownGap).length}` : ''}. Run time ${((Date.now() - startedAt) / 60_000).toFixed(1)} min.`,
    '',
    `| attack | what it tries | ${tiers.join(' | ')} |`,
    `|---|---|${tiers.map(() => '---').join('|')}|`,
    ...attacks
      .filter((a) => tiers.some((t) => outcomes.has(`${a.id}|${t}`)))
      .map((a) => `| ${a.title} | ${a.tries.replace(/\|/g, '\\|')} | ${tiers.map((t) => cell(outcomes.get(`${a.id}|${t}`))).join(' | ')} |`),
    DOC_END,
  ];
  const block = lines.join('\n');
  const doc = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '# Security\n\n';
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  const next = begin >= 0 && end > begin ? doc.slice(0, begin) + block + doc.slice(end + DOC_END.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC_PATH, next);
}

// ---- per tier -------------------------------------------------------------------------------

describe.each(TIERS)('on the %s tier', (tier) => {
  const a = `sec-a-${tier}-${h.run}`; // the attacker
  const b = `sec-b-${tier}-${h.run}`; // the other sandbox (victim, and the responsiveness probe)
  let wsA = '';
  let wsB = '';
  let ready = false;

  beforeAll(async () => {
    if (!available.get(tier)) return;
    wsA = makeWorkspace();
    wsB = makeWorkspace();
    const ra = await h.cli(['run', 'shell', wsA, '-d', '--name', a, '--isolation', tier, '--memory', ATTACKER_MEMORY, '--pids', String(ATTACKER_PIDS[tier])]);
    expect(ra.code, ra.stderr).toBe(0);
    const rb = await h.cli(['run', 'shell', wsB, '-d', '--name', b, '--isolation', tier]);
    expect(rb.code, rb.stderr).toBe(0);
    tierNow = tier;
    await probe(b); // warm up
    const idle = await probe(b);
    baseline.set(tier, { execMs: idle.execMs, apiMs: idle.apiMs });
    ready = true;
  });

  // Each attack: skip when the tier is missing, start from a running attacker.
  const run = (x: Attack, fn: () => Promise<void>) =>
    it(x.title, async (ctx) => {
      if (!available.get(tier)) return ctx.skip(ONLY && !ONLY.includes(tier) ? `${tier} not selected (PADDOCK_SECURITY_TIERS)` : `${tier} is not available on this engine`);
      expect(ready).toBe(true);
      tierNow = tier;
      await ensureRunning(a);
      timedOut = false;
      current = { name: a, started: inspect(a).State.StartedAt, expectStop: x === A.forkBomb || x === A.diskFill };
      await fn();
    });

  // ---- filesystem ----

  run(A.hostRead, async () => {
    const r = await sh(a, `cat ${hostFile}; ls -la ${hostDir}; ${grepNewScript(token)}; echo done`, { root: true });
    const leaked = out(r).includes(token) || /^HOLDS /m.test(r.stdout);
    record(A.hostRead, tier, !leaked && /done/.test(r.stdout), leaked ? `marker content read: ${short(out(r))}` : `${hostFile} does not exist inside; no readable file holds the marker`);
  });

  run(A.hostWrite, async () => {
    const etcMarker = `/etc/paddock-sec-${h.run}`;
    const r = await sh(a, `mkdir -p ${hostDir}; echo PWNED > ${hostFile}; echo PWNED > ${etcMarker}; cat ${hostFile}`, { root: true });
    const hostUnchanged = readFileSync(hostFile, 'utf8') === hostFileContent && !existsSync(etcMarker);
    record(A.hostWrite, tier, hostUnchanged, hostUnchanged ? `writes land in the sandbox's own filesystem (inside it read back "${r.stdout.trim().split('\n')[0]}"); host marker and /etc unchanged` : 'host file changed');
  });

  run(A.symlink, async () => {
    const shadowBefore = readFileSync('/etc/shadow', 'utf8');
    symlinkSync(hostFile, join(wsA, 'host-made-link')); // a link made on the host side
    symlinkSync('/', join(wsA, 'host-made-root'));
    const r = await sh(a, [
      `cd ${wsA}`,
      `ln -s /etc/shadow sl-shadow; ln -s ${hostFile} sl-host; ln -s / sl-root`,
      `cat sl-host host-made-link host-made-root${hostFile} sl-root${hostFile} 2>&1`,
      `sudo sh -c 'echo PWNED > ${wsA}/sl-host; echo "x:!:1::::::" >> ${wsA}/sl-shadow; echo PWNED > ${wsA}/host-made-link'`,
      'echo done',
    ].join('\n'));
    const leaked = out(r).includes(token);
    const hostIntact = readFileSync(hostFile, 'utf8') === hostFileContent && readFileSync('/etc/shadow', 'utf8') === shadowBefore;
    const linksStayLinks = lstatSync(join(wsA, 'sl-host')).isSymbolicLink();
    record(A.symlink, tier, !leaked && hostIntact && linksStayLinks && r.stdout.includes('done'),
      leaked ? `host marker read through a link: ${short(out(r))}` : hostIntact ? 'links resolve inside the sandbox\'s own root: host marker never read, host /etc/shadow and marker unchanged' : 'host file changed through a link');
  });

  run(A.hardlink, async () => {
    const r = await sh(a, `cd ${wsA}; ln /etc/shadow hl-shadow; echo shadow=$?; ln ${hostFile} hl-host; echo host=$?`, { root: true });
    const shadowLinked = /shadow=0/.test(r.stdout);
    const hostLinked = /host=0/.test(r.stdout) || statSync(hostFile).nlink !== 1;
    const hostShadowLinked = shadowLinked && readFileSync(join(wsA, 'hl-shadow'), 'utf8') === readFileSync('/etc/shadow', 'utf8');
    record(A.hardlink, tier, !hostLinked && !hostShadowLinked,
      `${short(r.stderr.split('\n').filter(Boolean).map((l) => l.replace(/^ln: /, '')).join('; ') || r.stdout)}; host marker link count stays 1`);
  });

  run(A.mknod, async () => {
    const [maj, min] = spawnSync('findmnt', ['-n', '-o', 'MAJ:MIN', '/'], { encoding: 'utf8' }).stdout.trim().split(':');
    const r = await sh(a, [
      `for p in /tmp/pdisk ${wsA}/pdisk; do`,
      `  mknod $p b ${maj} ${min} 2>&1 && { head -c 512 $p >/dev/null 2>&1 && echo "READ_OK $p" || echo "node made, read refused: $p"; }`,
      'done',
      `mknod /tmp/pmem c 1 1 2>&1 && { head -c 16 /tmp/pmem >/dev/null 2>&1 && echo "READ_OK /dev/mem" || echo "mem node made, read refused"; }`,
      'echo done',
    ].join('\n'), { root: true });
    let hostNode = false;
    try {
      const st = lstatSync(join(wsA, 'pdisk'));
      hostNode = st.isBlockDevice();
      rmSync(join(wsA, 'pdisk'), { force: true });
    } catch {
      // not created: the expected case
    }
    const read = /READ_OK/.test(r.stdout);
    record(A.mknod, tier, !read && !hostNode && r.stdout.includes('done'),
      read ? `device read: ${short(r.stdout)}` : hostNode ? 'a block device node appeared in the host workspace' : short([...new Set(out(r).split('\n').filter((l) => l && l !== 'done').map((l) => l.replace(/^mknod: /, '').replace(/'[^']*': /, '')))].join('; ')));
  });

  run(A.mount, async () => {
    const r = await sh(a, [
      'mkdir -p /tmp/m',
      'mount -t tmpfs none /tmp/m 2>&1; echo "tmpfs=$?"',
      'mount -t proc proc /tmp/m 2>&1; echo "proc=$?"',
      'mount --bind / /tmp/m 2>&1; echo "bind=$?"',
      'mount -t cgroup -o memory cgroup /tmp/m 2>&1; echo "cgroup=$?"',
    ].join('\n'), { root: true });
    const ok = [...r.stdout.matchAll(/(\w+)=(\d+)/g)].filter((m) => m[2] === '0').map((m) => m[1]);
    record(A.mount, tier, ok.length === 0 && /cgroup=/.test(r.stdout), ok.length ? `mounted: ${ok.join(', ')}` : `all refused (${short(r.stdout.split('\n').find((l) => /denied|not permitted|Operation/i.test(l)) ?? 'non-zero exit')})`);
  });

  run(A.userns, async () => {
    const hostNs = readlinkSync('/proc/self/ns/user'); // the engine's processes share the test's (host) user namespace
    const r = await sh(a, [
      'unshare -U true 2>&1; echo "agent-U=$?"',
      'unshare -r true 2>&1; echo "agent-r=$?"',
      'sudo unshare -U true 2>&1; echo "root-U=$?"',
      '(unshare -r sleep 8 >/dev/null 2>&1 &); (sudo unshare -Ur sleep 8 >/dev/null 2>&1 &); sleep 2; echo started',
    ].join('\n'));
    const procs = hostProcessesOf(a);
    const foreign = procs.filter((p) => { const ns = userNsOf(p); return ns !== null && ns !== hostNs; });
    const allowed = [...r.stdout.matchAll(/([\w-]+)=(\d+)/g)].filter((m) => m[2] === '0').map((m) => m[1]);
    const held = foreign.length === 0 && /started/.test(r.stdout);
    const how = allowed.length === 0 ? `refused (${short(r.stdout.split('\n').find((l) => /not permitted/i.test(l)) ?? 'non-zero exit')})` : `allowed inside gVisor's own kernel (${allowed.join(', ')})`;
    record(A.userns, tier, held && (tier !== 'container' || allowed.length === 0),
      held ? `${how}; none of the sandbox's ${procs.length} host processes is in a new host user namespace` : `host processes in a new user namespace: ${foreign.join(', ')}`);
  });

  run(A.setuid, async () => {
    const p = join(wsA, 'suid-py');
    const prep = await sh(a, `cp /usr/bin/python3 ${p} && chown 0:0 ${p} && chmod 4755 ${p} 2>&1; python3 -c "import os; print('mode %o' % (os.stat('${p}').st_mode & 0o7777))"`, { root: true });
    const made = /mode 4755/.test(prep.stdout);
    // What the agent can run that is setuid root: its copy if one was made, and the image's sudo and mount.
    const status = 'import os; print("euid", os.geteuid()); print(open("/proc/self/status").read())';
    const r = await sh(a, [
      made ? `${p} -c '${status}'` : `sudo -n python3 -c '${status}'`,
      'mount -t tmpfs none /mnt 2>&1; echo mount=$?',
      made ? `${p} -c "import os; os.system('mount -t tmpfs none /mnt 2>&1; echo mount=\\$?')"` : 'sudo -n mount -t tmpfs none /mnt 2>&1; echo mount=$?',
    ].join('\n'));
    rmSync(p, { force: true });
    const eff = statusField(r.stdout, 'CapEff') ?? 'ffffffffff';
    const beyond = BigInt('0x' + eff) & ~keptMask;
    record(A.setuid, tier, beyond === 0n && !/mount=0/.test(r.stdout) && /mount=/.test(r.stdout),
      `${made ? 'setuid copy made (then run by the agent)' : `setuid copy refused (${short(prep.stdout.split('\n')[0] ?? '', 60)})`}; ${made ? 'it' : "the image's setuid-root sudo"} gives ${/euid 0/.test(r.stdout) ? 'euid 0 (the sandbox\'s root)' : 'no euid 0'}, CapEff ${eff} = ${decodeCaps(eff).join(',') || 'none'}; no SYS_ADMIN, mount refused`);
  });

  const summarize = (text: string): string => {
    const lines = text.split('\n').filter((l) => / (OK|refused)/.test(l) || /^cp -p/.test(l));
    const ok = lines.filter((l) => / OK$/.test(l)).map((l) => l.replace(/ OK$/, ''));
    return ok.length ? `accepted inside: ${ok.join(', ')}` : `all ${lines.length} attempts refused inside`;
  };

  run(A.setuidHost, async () => {
    removeAttempts(wsA);
    const r = await inAgentTree(a, setidScript(wsA), { root: true });
    const planted = setidFilesOnHost(wsA);
    removeAttempts(wsA);
    const filter = /filter Seccomp: (\d)/.exec(r)?.[1] ?? '?';
    // io_uring must be refused where the profile is enforced (it could open files unseen by the filter);
    // on gVisor without --oci-seccomp nothing is filtered and the question is only what reached the host
    const profileEnforced = !(tier === 'gvisor' && runscIgnoresProfile());
    record(A.setuidHost, tier, planted.length === 0 && /^END$/m.test(r) && (!profileEnforced || /io_uring_setup refused/.test(r)),
      planted.length
        ? `on the host the workspace holds setuid/setgid-root ${short(planted.join(', '), 160)}: the sandbox's root is the host's root for files in the workspace`
        : `no setuid/setgid file reached the host; ${summarize(r)}${/^NOSUDO/m.test(r) ? ' (as the agent: sudo does not elevate under this gVisor, so its tree has no root)' : ' (as root, through sudo)'}; Seccomp ${filter} on the agent's processes; cp -p kept ${/mode (\d+)/.exec(r)?.[1] ?? 'no'} mode`);
  });

  run(A.setuidExec, async () => {
    removeAttempts(wsA);
    const r = await sh(a, setidScript(wsA) + '\necho END', { root: true });
    const planted = setidFilesOnHost(wsA);
    removeAttempts(wsA);
    record(A.setuidExec, tier, planted.length === 0 && ran(r) && /io_uring_setup refused/.test(r.stdout),
      planted.length
        ? `on the host the workspace holds ${short(planted.join(', '), 120)}; ${summarize(r.stdout)}`
        : `no setuid/setgid file reached the host; ${summarize(r.stdout)}`,
      tier === 'gvisor' && planted.length ? runscExecUnfiltered() : undefined);
  });

  // ---- kernel surface ----

  run(A.procSys, async () => {
    const r = await sh(a, [
      'for k in kernel/sysrq vm/overcommit_memory net/ipv4/ip_forward; do',
      '  v=$(cat /proc/sys/$k 2>/dev/null); (echo "$v" > /proc/sys/$k) 2>/dev/null && echo "WROTE $k" || echo "refused $k"',
      'done',
      'sysctl -w kernel.sysrq="$(cat /proc/sys/kernel/sysrq)" >/dev/null 2>&1 && echo "WROTE sysctl" || echo "refused sysctl"',
    ].join('\n'), { root: true });
    const wrote = r.stdout.split('\n').filter((l) => l.startsWith('WROTE'));
    record(A.procSys, tier, wrote.length === 0 && /sysctl/.test(r.stdout), wrote.length ? wrote.join('; ') : 'every write refused (read-only /proc/sys)');
  });

  run(A.corePattern, async () => {
    const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const r = await sh(a, '(cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern) 2>&1 && echo WROTE || echo refused', { root: true });
    const unchanged = readFileSync('/proc/sys/kernel/core_pattern', 'utf8') === before;
    record(A.corePattern, tier, /refused/.test(r.stdout) && unchanged, /WROTE/.test(r.stdout) ? 'write accepted' : `refused: ${short(r.stdout.split('\n')[0] ?? '')}`);
  });

  run(A.releaseAgent, async () => {
    const hostAgents = spawnSync('sh', ['-c', 'cat /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/release_agent 2>/dev/null'], { encoding: 'utf8' }).stdout;
    const r = await sh(a, [
      'n=0; for f in $(find /sys/fs/cgroup -maxdepth 3 -name release_agent 2>/dev/null); do n=$((n+1)); (cat $f > $f) 2>/dev/null && echo "WROTE $f"; done; echo "found=$n"',
      'mkdir -p /tmp/cg; for c in rdma memory pids; do mount -t cgroup -o $c cgroup /tmp/cg 2>/dev/null && { echo "MOUNTED $c"; (cat /tmp/cg/release_agent > /tmp/cg/release_agent) 2>/dev/null && echo "WROTE fresh $c"; umount /tmp/cg; }; done',
      'unshare -UrmC sh -c "mount -t cgroup -o rdma cgroup /tmp/cg && echo MOUNTED-in-userns" 2>/dev/null; echo done',
    ].join('\n'), { root: true });
    const after = spawnSync('sh', ['-c', 'cat /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/release_agent 2>/dev/null'], { encoding: 'utf8' }).stdout;
    const bad = r.stdout.split('\n').filter((l) => /^(WROTE|MOUNTED)/.test(l));
    const gvisorOwn = tier === 'gvisor' && bad.every((l) => l === 'MOUNTED-in-userns'); // gVisor's own cgroupfs, not the host's
    record(A.releaseAgent, tier, (bad.length === 0 || gvisorOwn) && after === hostAgents && /done/.test(r.stdout),
      bad.length && !gvisorOwn ? bad.join('; ') : `${/found=(\d+)/.exec(r.stdout)?.[1] ?? 0} release_agent files visible, none writable; no cgroup mount${gvisorOwn && bad.length ? ' on the host (gVisor mounted its own emulated cgroupfs)' : ''}; host release_agent unchanged`);
  });

  run(A.binfmt, async () => {
    const name = `paddocksec${token.slice(0, 6)}`;
    const r = await sh(a, [
      `(echo ':${name}:E::pwn::/tmp/handler:' > /proc/sys/fs/binfmt_misc/register) 2>/dev/null && echo "REGISTERED"`,
      'mkdir -p /tmp/bf; mount -t binfmt_misc binfmt_misc /tmp/bf 2>/dev/null && { echo MOUNTED; (echo ":' + name + ':E::pwn::/tmp/handler:" > /tmp/bf/register) 2>/dev/null && echo "REGISTERED2"; }',
      'echo done',
    ].join('\n'), { root: true });
    const hostEntry = existsSync(`/proc/sys/fs/binfmt_misc/${name}`);
    if (hostEntry) writeFileSync(`/proc/sys/fs/binfmt_misc/${name}`, '-1'); // undo, should it ever happen
    const bad = r.stdout.split('\n').filter((l) => /^(REGISTERED|MOUNTED)/.test(l));
    record(A.binfmt, tier, bad.length === 0 && !hostEntry && r.stdout.includes('done'), bad.length ? bad.join('; ') : 'register refused, binfmt_misc mount refused; no handler on the host');
  });

  run(A.engineSocket, async () => {
    const net = Object.values(inspect(a).NetworkSettings.Networks)[0]!;
    const targets = [net.Gateway, ...hostAddresses()].flatMap((ip) => [`${ip}:2375`, `${ip}:2376`]);
    const r = await sh(a, [
      // A live host socket can only come in through a mount (image files are inert, the writable
      // layer holds only what the sandbox made): search every mount but /proc and /sys, and the
      // sandbox's own runtime dirs. Under gVisor a walk of the whole image takes minutes.
      "{ awk '{print $5}' /proc/self/mountinfo | grep -vE '^/(proc|sys)(/|$)' | grep -vx /; echo /run; echo /var/run; echo /tmp; } | sort -u | xargs -r -I{} find {} -type s -print 2>/dev/null | sort -u | sed 's/^/SOCKET /'",
      'for p in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock /var/run/docker/containerd/containerd.sock; do [ -e $p ] && echo "FOUND $p"; done',
      'env | grep -E "^(DOCKER_HOST|CONTAINER_HOST)=" | sed "s/^/ENV /"',
      connectScript(targets),
    ].join('\n'), { root: true });
    const sockets = r.stdout.split('\n').filter((l) => l.startsWith('SOCKET ')).map((l) => l.slice(7));
    const engineish = sockets.filter((s) => /docker|containerd|podman|runsc|paddockd/.test(s));
    const bad = [...engineish, ...r.stdout.split('\n').filter((l) => /^(FOUND|ENV) /.test(l)), ...openLines(r.stdout)];
    record(A.engineSocket, tier, bad.length === 0 && ran(r), bad.length ? bad.join('; ') : `no engine socket (sockets present: ${sockets.join(', ') || 'none'}), no DOCKER_HOST, TCP 2375/2376 closed on ${targets.length / 2} host addresses`);
  });

  run(A.ptrace, async () => {
    const daemonPid = h.daemon?.pid ?? 0;
    const r = await sh(a, [
      'for p in /proc/[0-9]*; do printf "%s %s\\n" "${p#/proc/}" "$(tr "\\0" " " < $p/cmdline 2>/dev/null | cut -c1-80)"; done',
      'echo "PID1 $(tr "\\0" " " < /proc/1/cmdline)"',
    ].join('\n'), { root: true });
    // A separate exec: old gVisor Sentries have crashed on this attach (the sandbox dies, nothing outside is touched).
    const at = await sh(a, `python3 -c "import ctypes,os; l=ctypes.CDLL(None,use_errno=True); rc=l.ptrace(16,${daemonPid},0,0); print('ATTACH', rc, os.strerror(ctypes.get_errno()))"`, { root: true });
    const lines = [...r.stdout.split('\n'), ...at.stdout.split('\n')];
    const procs = lines.filter((l) => /^\d+ /.test(l));
    const hostOnes = procs.filter((l) => /paddockd|dockerd|containerd|vitest|systemd|sshd|runsc/.test(l));
    const pid1 = lines.find((l) => l.startsWith('PID1 ')) ?? '';
    const attach = lines.find((l) => l.startsWith('ATTACH ')) ?? '';
    const attachedHost = /^ATTACH 0/.test(attach) && procs.some((l) => l.startsWith(`${daemonPid} `) && /node|paddockd/.test(l));
    record(A.ptrace, tier, hostOnes.length === 0 && /tini/.test(pid1) && !attachedHost,
      hostOnes.length ? `host processes visible: ${short(hostOnes.join('; '))}` : `${procs.length} processes visible, all the sandbox's own; PID 1 is ${pid1.slice(5).trim().split(' ')[0]}; ptrace(paddockd pid ${daemonPid}): ${attach.replace(/^ATTACH -?\d+ /, '') || 'no answer'}`);
  });

  run(A.caps, async () => {
    const root = await sh(a, 'cat /proc/self/status', { root: true });
    const agent = await sh(a, 'cat /proc/self/status');
    const rootEff = statusField(root.stdout, 'CapEff')!;
    const rootBnd = statusField(root.stdout, 'CapBnd')!;
    const agentEff = statusField(agent.stdout, 'CapEff')!;
    let seccomp = statusField(root.stdout, 'Seccomp') ?? '?';
    let seccompWhere = 'inside';
    if (tier === 'gvisor') {
      // gVisor's Sentry answers /proc itself; the filter that matters is on its host processes.
      const hostModes = hostProcessesOf(a).map((p) => { try { return statusField(readFileSync(`/proc/${p}/status`, 'utf8'), 'Seccomp'); } catch { return undefined; } }).filter(Boolean);
      const sandboxPid = inspect(a).State.Pid;
      seccomp = statusField(readFileSync(`/proc/${sandboxPid}/status`, 'utf8'), 'Seccomp') ?? '?';
      seccompWhere = `on the runsc sandbox process (host); host processes' modes: ${[...new Set(hostModes)].join('/')}`;
    }
    // The sandbox's own process tree (its init, parent of the agent's tmux) must run under Paddock's
    // profile; under gVisor that is gVisor enforcing it (runsc --oci-seccomp).
    const init = await sh(a, 'grep -E "^(Seccomp|NoNewPrivs):" /proc/1/status', { root: true });
    const initSeccomp = statusField(init.stdout, 'Seccomp') ?? '?';
    const capsOk = BigInt('0x' + rootEff) === keptMask && BigInt('0x' + rootBnd) === keptMask && BigInt('0x' + agentEff) === 0n;
    record(A.caps, tier, capsOk && seccomp === '2' && initSeccomp === '2',
      `root CapEff=CapBnd=${rootEff} (${decodeCaps(rootEff).join(',')}) ${BigInt('0x' + rootEff) === keptMask ? '= KEPT_CAPABILITIES' : '≠ KEPT_CAPABILITIES'}; agent CapEff ${agentEff}; Seccomp ${seccomp} ${seccompWhere}; Seccomp ${initSeccomp} on the sandbox's init (pid 1)${tier === 'gvisor' ? ', enforced by gVisor (--oci-seccomp)' : ''}; NoNewPrivs ${statusField(root.stdout, 'NoNewPrivs') ?? 'n/a'} (sudo needs it off)`,
      tier === 'gvisor' && capsOk && seccomp === '2' ? runscIgnoresProfile() : undefined);
  });

  // ---- network ----

  run(A.paddockd, async () => {
    const net = Object.values(inspect(a).NetworkSettings.Networks)[0]!;
    const targets = [net.Gateway, '127.0.0.1', ...hostAddresses()].map((ip) => `${ip}:${h.port}`);
    const r = await sh(a, [`[ -e ${h.stateDir}/paddockd.sock ] && echo "FOUND unix socket"; { awk '{print $5}' /proc/self/mountinfo | grep -vE '^/(proc|sys)(/|$)' | grep -vx /; echo /run; echo /tmp; } | sort -u | xargs -r -I{} find {} -name paddockd.sock -print 2>/dev/null | sed 's/^/FOUND /'`, connectScript(targets)].join('\n'));
    const bad = [...openLines(r.stdout), ...r.stdout.split('\n').filter((l) => l.startsWith('FOUND'))];
    record(A.paddockd, tier, bad.length === 0 && ran(r), bad.length ? bad.join('; ') : `port ${h.port} closed on the gateway ${net.Gateway} and ${targets.length - 2} host addresses; no paddockd.sock`);
  });

  run(A.hostLoopback, async () => {
    const net = Object.values(inspect(a).NetworkSettings.Networks)[0]!;
    const targets = [net.Gateway, ...hostAddresses()].map((ip) => `${ip}:${loopbackPort}`);
    const r = await sh(a, connectScript(targets));
    const reached = openLines(r.stdout).filter((l) => l.includes(token));
    record(A.hostLoopback, tier, reached.length === 0 && ran(r), reached.length ? `reached: ${reached.join('; ')}` : `closed on the gateway and ${targets.length - 1} host addresses`);
  });

  run(A.hostAny, async () => {
    const net = Object.values(inspect(a).NetworkSettings.Networks)[0]!;
    const targets = [net.Gateway, ...hostAddresses()].map((ip) => `${ip}:${anyAddrPort}`);
    const r = await sh(a, connectScript(targets));
    const reached = openLines(r.stdout).filter((l) => l.includes(token)).map((l) => l.split(' ')[1]);
    record(A.hostAny, tier, reached.length === 0 && ran(r),
      reached.length ? `reached the host service at ${reached.length} of ${targets.length} addresses (${short(reached.join(', '), 80)}): the host owns the gateway address of the sandbox's internal network, and the engine's isolation rules only cover forwarded traffic` : `closed on the gateway and ${targets.length - 1} host addresses`);
  });

  run(A.metadata, async () => {
    const ins = inspect(a);
    const [netName] = Object.entries(ins.NetworkSettings.Networks)[0]!;
    const r = await sh(a, 'ip route get 169.254.169.254 2>&1; echo "rc=$?"; ip route show default');
    const netInfo = JSON.parse(docker(['network', 'inspect', netName]).stdout)[0] as { Id: string; Internal: boolean; IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string> };
    const bridge = netInfo.Options['com.docker.network.bridge.name'] ?? `br-${netInfo.Id.slice(0, 12)}`;
    const subnet = netInfo.IPAM.Config[0]!.Subnet;
    const rules = spawnSync('iptables', ['-S', 'DOCKER-ISOLATION-STAGE-1'], { encoding: 'utf8' }).stdout;
    const dropRule = rules.split('\n').some((l) => l.includes(`-i ${bridge}`) && l.includes(`! -d ${subnet}`) && l.endsWith('-j DROP'));
    const hostRoute = spawnSync('ip', ['route', 'get', '169.254.169.254'], { encoding: 'utf8' }).stdout;
    const local = /^local /.test(hostRoute) || hostAddresses().includes('169.254.169.254');
    expect(r.stdout, 'the route query ran').toMatch(/rc=\d+/);
    const noRoute = !/rc=0/.test(r.stdout);
    const held = noRoute || (netInfo.Internal && dropRule && !local);
    record(A.metadata, tier, held,
      noRoute ? 'no route to 169.254.169.254 inside' : `route inside: ${short(r.stdout.split('\n')[0] ?? '', 60)}; network internal=${netInfo.Internal}, host drops forwarded traffic leaving ${bridge} (${dropRule ? 'rule present' : 'RULE MISSING'}), 169.254.169.254 ${local ? 'IS local on the host' : 'is not a host address'}; nothing sent`);
  });

  run(A.otherSandbox, async () => {
    const ipB = Object.values(inspect(b).NetworkSettings.Networks)[0]!.IPAddress;
    await sh(b, 'setsid -f python3 -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1; sleep 1');
    // python's start takes seconds under gVisor on a loaded machine: wait until it answers itself
    let self = await sh(b, connectScript([`${ipB}:8080`]));
    for (const deadline = Date.now() + 60_000; openLines(self.stdout).length === 0 && Date.now() < deadline;) {
      await new Promise((res) => setTimeout(res, 1000));
      self = await sh(b, connectScript([`${ipB}:8080`]));
    }
    expect(openLines(self.stdout), 'the second sandbox serves on its own address').toHaveLength(1);
    const r = await sh(a, connectScript([`${ipB}:8080`]));
    record(A.otherSandbox, tier, openLines(r.stdout).length === 0 && ran(r), openLines(r.stdout).length ? `connected to ${ipB}:8080` : `${ipB}:8080 answers from the second sandbox itself, not from the first (separate internal networks)`);
  });

  run(A.otherHome, async () => {
    const t2 = randomBytes(8).toString('hex');
    expect((await sh(b, `echo OTHER-${t2} > ~/other-secret; echo OTHER-${t2} > ${wsB}/other-file`)).code).toBe(0);
    const r = await sh(a, [
      `cat ${wsB}/other-file /home/agent/other-secret 2>&1`,
      grepNewScript(`OTHER-${t2}`),
      `mkdir -p ${wsB} && echo PWNED > ${wsB}/pwned; ls /var/lib/docker 2>&1 | head -1`,
      'echo END',
    ].join('\n'), { root: true });
    const leaked = out(r).includes(`OTHER-${t2}`) || /^HOLDS /m.test(r.stdout);
    const wrote = existsSync(join(wsB, 'pwned'));
    record(A.otherHome, tier, !leaked && !wrote && ran(r), leaked ? `read: ${short(out(r))}` : wrote ? "wrote into the other sandbox's workspace" : "the other sandbox's HOME volume and workspace are not mounted here; the write landed in the attacker's own filesystem");
  });

  // ---- exhaustion (a second sandbox and paddockd must stay responsive) ----

  run(A.forkBomb, async () => {
    const info = inspect(a);
    const pidsFile = `/sys/fs/cgroup/pids/docker/${info.Id}/pids`;
    let max = '';
    try { max = readFileSync(`${pidsFile}.max`, 'utf8').trim(); } catch { /* cgroup v2 */ }
    let peak = 0;
    const sampler = setInterval(() => { try { peak = Math.max(peak, Number(readFileSync(`${pidsFile}.current`, 'utf8'))); } catch { /* cgroup v2 or gone */ } }, 200);
    // Output to /dev/null: the bomb's orphans would otherwise hold the exec's stdout open forever.
    const bomb = sh(a, "timeout -s KILL 10 bash -c ':(){ :|:& };:' >/dev/null 2>&1; echo done", { timeoutMs: 120_000 });
    const [r, p] = await during(bomb, b, 4000);
    clearInterval(sampler);
    await new Promise((res) => setTimeout(res, 1000));
    const limit = ATTACKER_PIDS[tier];
    const bounded = max === String(limit) && peak <= limit + 2; // `docker exec` attaches its process past pids.max (the probe, our sampler's exec)
    const st = inspect(a).State;
    // Under gVisor the Sentry itself needs host threads: at the limit it dies, taking the sandbox with it.
    const died = st.StartedAt === current?.started && st.Status !== 'running';
    // The bomb's orphans keep the sandbox at its pids limit: a restart is how a user recovers it.
    await h.cli(['stop', a]);
    record(A.forkBomb, tier, responsive(p) && bounded,
      `host pids cgroup peak ${peak} of max ${max || '?'}${/done/.test(r.stdout) ? '' : ' (the exec did not come back)'}${died ? `; the sandbox died at its limit (exit ${st.ExitCode}${tier === 'gvisor' ? ": gVisor's Sentry could not get a thread" : ''})` : ''}; ${responsiveText(p)}`);
  });

  run(A.tmpFill, async () => {
    const fill = sh(a, 'dd if=/dev/zero of=/tmp/fill bs=1M count=1100 2>&1 | grep -E "No space|copied"; du -m /tmp/fill | cut -f1; rm -f /tmp/fill', { timeoutMs: 180_000 });
    const [r, p] = await during(fill, b, 2000);
    const mb = Number(r.stdout.trim().split('\n').at(-1));
    record(A.tmpFill, tier, responsive(p) && mb > 0 && mb <= 1025 && /No space left/.test(r.stdout),
      `stopped at ${mb} MiB: ${short(r.stdout.split('\n').find((l) => /No space/.test(l)) ?? r.stdout.split('\n')[0] ?? '', 60)}; ${responsiveText(p)}`);
  });

  run(A.logFlood, async () => {
    const flood = sh(a, `head -c ${LOG_FLOOD_BYTES} /dev/zero | tr '\\0' 'x' | fold -w 120 > /proc/1/fd/1; echo done`, { root: true, timeoutMs: 300_000 });
    const [r, p] = await during(flood, b, 3000);
    expect(r.stdout).toContain('done');
    const logPath = inspect(a).LogPath;
    const dir = dirname(logPath);
    const files = readdirSync(dir).filter((f) => f.startsWith(`${inspect(a).Id}-json.log`));
    const total = files.reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    const bound = Number(LOG_MAX_FILES) * 10 * 1024 ** 2 * 1.05; // json-file rotates at max-size; a little slack for the line in flight
    record(A.logFlood, tier, responsive(p) && total <= bound,
      `${LOG_FLOOD_BYTES / 1024 ** 2} MiB written, engine log on the host ${(total / 1024 ** 2).toFixed(1)} MiB in ${files.length} file(s) (bound ${LOG_MAX_FILES} × ${LOG_MAX_SIZE}); ${responsiveText(p)}`);
  });

  run(A.diskFill, async () => {
    const id = inspect(a).Id;
    let hit: Exceeded | null = null;
    let stoppedAt = 0;
    const t0 = Date.now();
    const watch = new DiskWatch(engine, {
      limitBytes: DISK_LIMIT_BYTES,
      intervalMs: 1000,
      labels: { 'io.paddock.test': h.run, 'io.paddock.sandbox': a }, // only this test's sandbox
      onExceeded: async (e) => {
        hit = e;
        await h.cli(['stop', a]); // what paddockd does with the watch wired in
        stoppedAt = Date.now() - t0;
      },
    });
    watch.start();
    try {
      const fill = sh(a, `dd if=/dev/zero of=/var/tmp/fill bs=1M count=${DISK_FILL_MB} 2>&1 | tail -1`, { timeoutMs: 300_000 });
      const [r, p] = await during(fill, b, 1500);
      const deadline = Date.now() + 30_000;
      while (!stoppedAt && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
      const size = sizeRwOf(a);
      const state = JSON.parse(docker(['inspect', '-f', '{{json .State.Status}}', id]).stdout);
      const finished = new RegExp(`${DISK_FILL_MB}\\+0 records out`).test(r.stdout);
      const h2 = hit as Exceeded | null;
      record(A.diskFill, tier, h2 !== null && state !== 'running' && !finished && responsive(p),
        h2 ? `watch saw ${(h2.sizeRw / 1024 ** 2).toFixed(0)} MiB > ${DISK_LIMIT_BYTES / 1024 ** 2} MiB and stopped the sandbox after ${(stoppedAt / 1000).toFixed(1)} s; writable layer ${(size / 1024 ** 2).toFixed(0)} MiB when stopped (dd did not finish); ${responsiveText(p)}` : `not stopped: ${short(r.stdout)}`);
    } finally {
      watch.stop();
    }
    await ensureRunning(a);
    await sh(a, 'rm -f /var/tmp/fill', { root: true });
  });

  run(A.memoryHog, async () => {
    const hog = sh(a, "python3 -c 'b=[]\nwhile True: b.append(bytearray(64*1024*1024))'; echo \"exit=$?\"", { timeoutMs: 180_000 });
    const [r, p] = await during(hog, b, 3000);
    const exit = /exit=(\d+)/.exec(r.stdout)?.[1] ?? (r.code === 0 ? '?' : `exec ${r.code}`);
    const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as SandboxInfo[];
    const others = ls.find((s) => s.name === b)?.state;
    const killed = exit === '137' || /Killed|MemoryError/.test(out(r)) || r.code !== 0;
    record(A.memoryHog, tier, killed && others === 'running' && responsive(p),
      `hog ended with ${exit === '137' ? 'SIGKILL (exit 137, OOM killer)' : `exit ${exit}`}; attacker ${ls.find((s) => s.name === a)?.state}, other sandbox ${others}; ${responsiveText(p)}`);
  });
});
