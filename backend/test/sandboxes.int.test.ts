/**
 * Sandbox lifecycle against the real engine: workspace mapping, ownership, HOME, git identity,
 * hardening and limits enforced inside, isolation tiers, reuse, rediscovery, removal, bad input.
 */
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEPT_CAPABILITIES } from '../src/core/spec.js';
import type { SandboxInfo } from '../src/core/protocol.js';
import { BACKEND_DIR, Harness, docker, freePort, makeWorkspace } from './harness.js';

const h = new Harness();
let ws: string;
let name: string;

function capMask(caps: readonly string[]): bigint {
  const numbers: Record<string, number> = {
    CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
    NET_BIND_SERVICE: 10, NET_RAW: 13, SYS_CHROOT: 18, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31,
  };
  return caps.reduce((m, c) => m | (1n << BigInt(numbers[c]!)), 0n);
}

beforeAll(async () => {
  writeFileSync(join(h.configDir, 'gitconfig'), '[user]\n\tname = Ada Tester\n\temail = ada@paddock.test\n');
  process.env.GIT_CONFIG_GLOBAL = join(h.configDir, 'gitconfig');
  await h.start();
  ws = makeWorkspace({ uid: 1000, gid: 1000 });
  const r = await h.cli(['run', 'shell', ws, '-d', '--cpus', '1.5', '--memory', '512m', '--pids', '128']);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('paddock:'))).toEqual([]);
  expect(r.code).toBe(0);
  name = r.stdout.trim();
});

afterAll(async () => {
  await h.stop();
});

describe('a shell sandbox', () => {
  it('is listed with its spec by ls --json and inspect', async () => {
    const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as SandboxInfo[];
    const s = ls.find((x) => x.name === name)!;
    expect(s).toMatchObject({ agent: 'shell', workspace: ws, state: 'running', isolation: 'container', network: 'allowlist' });
    expect(s.image).toMatch(/^paddock\/agent-shell:[0-9a-f]{12}$/);
    expect(Date.parse(s.createdAt)).not.toBeNaN();
    expect(s.resources).toEqual({ cpus: 1.5, memoryBytes: 512 * 1024 ** 2, pids: 128 });
    const ins = JSON.parse((await h.cli(['inspect', name])).stdout) as SandboxInfo;
    expect(ins.name).toBe(name);
    expect(ins.agentState).toBe('running');
  });

  it('sees the workspace at the same path as its working directory, and nothing else of the host', async () => {
    const r = await h.cli(['exec', name, '--', 'sh', '-c', 'pwd; ls /; test -e /root/.bashrc-host-marker && echo LEAK || echo clean']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(ws);
    expect(lines.at(-1)).toBe('clean');
  });

  it('passes the exit code of exec through', async () => {
    const r = await h.cli(['exec', name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('creates files owned by the workspace owner on the host', async () => {
    const r = await h.cli(['exec', name, '--', 'sh', '-c', 'echo hi > made-inside.txt && mkdir -p sub && touch sub/x']);
    expect(r.code).toBe(0);
    const st = statSync(join(ws, 'made-inside.txt'));
    expect([st.uid, st.gid]).toEqual([1000, 1000]);
    expect(statSync(join(ws, 'sub', 'x')).uid).toBe(1000);
  });

  it('has the host git identity', async () => {
    const r = await h.cli(['exec', name, '--', 'git', 'config', '--get', 'user.email']);
    expect(r.stdout.trim()).toBe('ada@paddock.test');
  });

  it('keeps HOME across stop and start', async () => {
    expect((await h.cli(['exec', name, '--', 'sh', '-c', 'echo kept > ~/note'])).code).toBe(0);
    expect((await h.cli(['stop', name])).code).toBe(0);
    const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as SandboxInfo[];
    expect(ls.find((x) => x.name === name)!.state).toBe('stopped');
    expect((await h.cli(['start', name])).code).toBe(0);
    const r = await h.cli(['exec', name, '--', 'cat', `/home/agent/note`]);
    expect(r.stdout.trim()).toBe('kept');
  });

  it('is hardened: documented capabilities only, seccomp on, tmpfs /tmp, no engine socket, no host namespaces', async () => {
    const r = await h.cli(['exec', name, '--root', '--', 'sh', '-c', 'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; findmnt -n -o FSTYPE /tmp; ls -la /var/run/docker.sock /run/docker.sock 2>&1 | head -2; cat /proc/1/cgroup | head -1']);
    const status = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes(':\t')).map((l) => l.split(':\t').map((x) => x.trim()) as [string, string]));
    expect(BigInt('0x' + status.CapBnd)).toBe(capMask(KEPT_CAPABILITIES));
    expect(status.Seccomp).toBe('2');
    expect(r.stdout).toContain('tmpfs');
    expect(r.stdout).toMatch(/No such file or directory/);
    const insp = JSON.parse(docker(['inspect', name]).stdout)[0];
    expect(insp.HostConfig.Privileged).toBe(false);
    expect(insp.HostConfig.PidMode).toBe('');
    expect(insp.HostConfig.NetworkMode).not.toBe('host');
    expect(insp.HostConfig.CapDrop).toEqual(['ALL']);
    expect(insp.HostConfig.Memory).toBe(512 * 1024 ** 2);
    expect(insp.HostConfig.NanoCpus).toBe(1.5e9);
    expect(insp.HostConfig.PidsLimit).toBe(128);
    expect(insp.Mounts.some((m: { Source: string }) => m.Source.includes('docker.sock'))).toBe(false);
  });

  it('stops a fork bomb at the pids limit while paddockd and other sandboxes stay responsive', async () => {
    const bomb = `bomb-${h.run}`;
    expect((await h.cli(['run', 'shell', makeWorkspace(), '-d', '--name', bomb, '--pids', '100'])).code).toBe(0);
    // Read with bash builtins only: the bomb's orphans outlive `timeout` and keep the sandbox at its
    // pids limit, so anything that forks here (`$(cat …)`) would fail and print nothing.
    const pidsFile = 'f=/sys/fs/cgroup/pids/pids; [ -e $f.max ] || f=/sys/fs/cgroup/pids; read -r cur < $f.current; read -r max < $f.max; echo "$cur $max"';
    const running = h.cli(['exec', bomb, '--', 'bash', '-c', `timeout -s KILL 10 bash -c ':(){ :|:& };:' >/dev/null 2>&1; ${pidsFile}`]);
    await new Promise((r) => setTimeout(r, 4000));
    // while the bomb runs: paddockd answers and another sandbox works
    const t0 = Date.now();
    expect((await h.cli(['exec', name, '--', 'echo', 'still here'])).stdout.trim()).toBe('still here');
    const elapsed = Date.now() - t0;
    const r = await running;
    const [current, max] = r.stdout.trim().split('\n').at(-1)!.split(' ').map(Number);
    expect(max).toBe(100);
    expect(current).toBeLessThanOrEqual(100);
    expect(elapsed).toBeLessThan(10_000);
    expect((await h.cli(['rm', '-f', bomb])).code).toBe(0);
  });

  it('OOM-kills a memory hog inside the sandbox only', async () => {
    const r = await h.cli(['exec', name, '--', 'python3', '-c', 'b=[]\nwhile True: b.append(bytearray(64*1024*1024))']);
    expect(r.code).toBe(137); // SIGKILL from the OOM killer
    const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as SandboxInfo[];
    expect(ls.find((x) => x.name === name)!.state).toBe('running');
    expect((await h.cli(['exec', name, '--', 'echo', 'alive'])).stdout.trim()).toBe('alive');
  });

  it('is reused by the next run for the same workspace and agent', async () => {
    const r = await h.cli(['run', 'shell', ws, '-d']);
    expect(r.stdout.trim()).toBe(name);
  });

  it('is rediscovered by a restarted paddockd (kill -9) and keeps running', async () => {
    await h.kill('SIGKILL');
    await h.start();
    const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as SandboxInfo[];
    expect(ls.find((x) => x.name === name)?.state).toBe('running');
  });
});

describe('ownership for a root-owned workspace', () => {
  it('creates files owned by root', async () => {
    const rootWs = makeWorkspace({ uid: 0, gid: 0 });
    const r = await h.cli(['run', 'shell', rootWs, '-d', '--name', `root-${h.run}`]);
    expect(r.code).toBe(0);
    await h.cli(['exec', `root-${h.run}`, '--', 'touch', 'by-root']);
    expect(statSync(join(rootWs, 'by-root')).uid).toBe(0);
    expect((await h.cli(['rm', '-f', `root-${h.run}`])).code).toBe(0);
  });
});

describe('extra mounts', () => {
  it('mounts extra folders at the same path, read-only when asked', async () => {
    const w = makeWorkspace();
    const extra = makeWorkspace();
    writeFileSync(join(extra, 'data.txt'), 'shared');
    chownSync(join(extra, 'data.txt'), 1000, 1000);
    const n = `mnt-${h.run}`;
    expect((await h.cli(['run', 'shell', w, '-d', '--name', n, '--mount', `${extra}:ro`])).code).toBe(0);
    expect((await h.cli(['exec', n, '--', 'cat', join(extra, 'data.txt')])).stdout).toBe('shared');
    const wr = await h.cli(['exec', n, '--', 'sh', '-c', `echo x > ${extra}/new`]);
    expect(wr.code).not.toBe(0);
    expect(wr.stderr).toMatch(/Read-only/i);
    await h.cli(['rm', '-f', n]);
  });
});

describe('isolation tiers', () => {
  it('runs a sandbox under gVisor when asked', async () => {
    const w = makeWorkspace();
    const n = `gv-${h.run}`;
    const r = await h.cli(['run', 'shell', w, '-d', '--name', n, '--isolation', 'gvisor']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dm = await h.cli(['exec', n, '--', 'sh', '-c', 'dmesg 2>/dev/null | head -3; cat /proc/version']);
    expect(dm.stdout).toMatch(/gVisor|Starting gVisor/i);
    expect(JSON.parse(docker(['inspect', n]).stdout)[0].HostConfig.Runtime).toBe('runsc');
    // the agent's session lives: its shell waits at a prompt (a runsc that breaks tmux logs it out)
    await new Promise((ok) => setTimeout(ok, 3000));
    const st = await h.cli(['exec', n, '--', 'sh', '-c', 'paddock-ctl status; paddock-ctl text agent 50']);
    expect(st.stdout.split('\n')[0]).toBe('running');
    expect(st.stdout).toMatch(/\$ *$/m);
    expect(st.stdout).not.toMatch(/logout|exited with status/);
    // coreutils stat files (older gVisor refuses the AT_NO_AUTOMOUNT flag coreutils passes to statx)
    const ls = await h.cli(['exec', n, '--', 'sh', '-c', 'printf abc > f && ls -l f && stat -c "size %s" f && rm f']);
    expect(ls.stderr).toBe('');
    expect(ls.stdout).toMatch(/^-rw.* f$/m);
    expect(ls.stdout).toContain('size 3');
    // an idle tmux server stays idle after its clients left (older gVisor's poll made it spin a CPU)
    const ticks = 'p=$(pgrep -f "^tmux -S /run/paddock/tmux.sock" | head -1); read -r -a f < /proc/$p/stat; echo $(( f[13] + f[14] ))';
    const idle = await h.cli(['exec', n, '--', 'bash', '-c', `a=$(${ticks}); sleep 3; b=$(${ticks}); echo $a $b $(getconf CLK_TCK)`]);
    const [before, after, hz] = idle.stdout.trim().split(' ').map(Number);
    expect(hz).toBeGreaterThan(0);
    expect((after - before) / hz, 'CPU seconds the idle tmux server used in 3 s').toBeLessThan(0.5);
    // runsc keeps an exec's stream open after the container dies: `paddock exec` must still return
    const started = Date.now();
    const killer = setTimeout(() => docker(['kill', n]), 3000);
    const ex = await h.cli(['exec', n, '--', 'sleep', '120'], { timeoutMs: 60_000 });
    clearTimeout(killer);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(ex.code).not.toBe(0);
    await h.cli(['rm', '-f', n]);
  });

  it('says clearly when microVMs are not available', async () => {
    const r = await h.cli(['run', 'shell', makeWorkspace(), '-d', '--isolation', 'microvm']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^paddock: Isolation "microvm" is not available: .*kvm/im);
  });
});

describe('rm', () => {
  it('removes the container, its network and its home volume', async () => {
    const n = `rm-${h.run}`;
    expect((await h.cli(['run', 'shell', makeWorkspace(), '-d', '--name', n, '--network', 'open'])).code).toBe(0);
    const running = await h.cli(['rm', n]);
    expect(running.code).not.toBe(0);
    expect(running.stderr).toMatch(/is running.*paddock rm -f/);
    expect((await h.cli(['rm', '-f', n])).code).toBe(0);
    expect(docker(['ps', '-aq', '--filter', `name=^${n}$`]).stdout.trim()).toBe('');
    expect(docker(['network', 'ls', '-q', '--filter', `label=io.paddock.sandbox=${n}`]).stdout.trim()).toBe('');
    expect(docker(['volume', 'ls', '-q', '--filter', `label=io.paddock.sandbox=${n}`]).stdout.trim()).toBe('');
  });
});

describe('bad input', () => {
  const leftovers = () => docker(['ps', '-aq', '--filter', `label=io.paddock.test=${h.run}`]).stdout.trim().split('\n').filter(Boolean).length;

  it.each([
    [['run', 'nosuchagent', '/tmp'], /Unknown agent "nosuchagent"\. Known agents: claude, gemini, codex, opencode, shell/],
    [['run', 'shell', '/tmp/paddock-does-not-exist-xyz'], /does not exist\. Create it/],
    [['run', 'shell', '/'], /Refusing workspace \/: the root directory/],
    [['run', 'shell', homedir()], /your home directory itself/],
    [['run', 'shell', '/etc'], /\/etc is a system directory/],
    [['run', 'shell', '/tmp/x', '--memory', 'lots'], /Cannot read memory size "lots"/],
    [['run', 'shell', '/tmp/x', '--cpus', 'two'], /Cannot read CPU count "two"/],
    [['run', 'shell', '/tmp/x', '--pids', '3'], /Cannot use pids limit "3"/],
    [['run', 'shell', '/tmp/x', '-e', '1BAD=x'], /not a valid environment variable name/],
    [['exec', 'nosuchsandbox', '--', 'true'], /No sandbox named "nosuchsandbox"/],
  ])('%j → one clear line, non-zero exit, nothing left behind', async (args, message) => {
    mkdirSync('/tmp/x', { recursive: true });
    const before = leftovers();
    const r = await h.cli(args as string[]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^paddock: /);
    expect(lines[0]).toMatch(message as RegExp);
    expect(leftovers()).toBe(before);
  });

  it('refuses a name clash and names the way out', async () => {
    const r = await h.cli(['run', 'shell', makeWorkspace(), '-d', '--name', name]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/already exists .*paddock attach/);
  });

  it('reports an image build failure and leaves nothing behind', async () => {
    const dir = join(h.configDir, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM paddock/bootstrap:trixie\nRUN echo about to fail && false\n');
    writeFileSync(join(h.configDir, 'agents.yaml'), `agents:\n  - name: broken\n    dockerfile: ${join(dir, 'Dockerfile')}\n    command: [bash]\n`);
    const before = leftovers();
    const r = await h.cli(['run', 'broken', makeWorkspace(), '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/paddock: .*(failed|non-zero)/i);
    expect(leftovers()).toBe(before);
    expect(docker(['network', 'ls', '-q', '--filter', `label=io.paddock.test=${h.run}`, '--filter', 'name=paddock-net-broken']).stdout.trim()).toBe('');
    const agents = JSON.parse((await h.cli(['agents', '--json'])).stdout) as { name: string; custom: boolean }[];
    expect(agents.find((a) => a.name === 'broken')?.custom).toBe(true);
  });

  it('a second paddockd never takes the socket or port of a running one', async () => {
    const { spawnSync } = await import('node:child_process');
    const same = spawnSync(process.execPath, [join(BACKEND_DIR, 'bin', 'paddockd.js')], { env: h.env, encoding: 'utf8', timeout: 60_000 });
    expect(same.status).toBe(1);
    expect(same.stderr.trim()).toMatch(/^paddockd: (Another paddockd already serves|Port \d+ on .* is already in use)/);
    expect((await h.cli(['ls'])).code).toBe(0); // the first one still answers on its socket
    // another state dir on the same port: `paddock` (which starts paddockd) relays the reason
    const other = new Harness();
    other.port = h.port;
    const r = await other.cli(['ls']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Port \d+ on 127\.0\.0\.1 is already in use.*PADDOCK_PORT/);
    expect((await h.cli(['ls'])).code).toBe(0);
    await other.stop();
  });

  it('says the engine is down when it is', async () => {
    const down = new Harness();
    down.port = await freePort();
    const env = { DOCKER_HOST: 'unix:///tmp/paddock-no-engine.sock' };
    const r = await down.cli(['ls'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/engine .*not answering.*Start it/);
    await down.cli(['daemon', 'stop'], { env });
    await down.stop();
  });
});

describe('the docker CLI plugin', () => {
  it('answers docker-cli-plugin-metadata and runs the CLI as `docker paddock`', async () => {
    const { spawnSync } = await import('node:child_process');
    const bin = join(BACKEND_DIR, 'bin', 'docker-paddock.js');
    const meta = JSON.parse(spawnSync(process.execPath, [bin, 'docker-cli-plugin-metadata'], { encoding: 'utf8' }).stdout);
    expect(meta).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'Paddock' });
    const ls = spawnSync(process.execPath, [bin, 'paddock', 'ls', '--json'], { encoding: 'utf8', env: h.env });
    expect((JSON.parse(ls.stdout) as SandboxInfo[]).some((s) => s.name === name)).toBe(true);
  });
});
