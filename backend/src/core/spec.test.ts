import { describe, expect, it } from 'vitest';
import { decodeSpecLabel } from './labels.js';
import {
  DEFAULT_RESOURCES, KEPT_CAPABILITIES, buildContainerCreate, defaultSandboxName, hostnameFor, runtimeFor, uniqueName, validateEnv,
  type SandboxSpec,
} from './spec.js';

const base: SandboxSpec = {
  name: 'claude-proj',
  agent: 'claude',
  workspace: '/home/ada/src/proj',
  image: 'paddock/agent-claude:abc',
  isolation: 'container',
  runtime: 'runc',
  network: 'allowlist',
  networkName: 'paddock-net-claude-proj',
  allowHosts: ['api.anthropic.com'],
  mounts: [],
  cpus: DEFAULT_RESOURCES.cpus,
  memoryBytes: DEFAULT_RESOURCES.memoryBytes,
  pids: DEFAULT_RESOURCES.pids,
  autonomy: true,
  uid: 1000,
  gid: 1000,
  agentArgs: [],
  agentArgv: ['claude', '--dangerously-skip-permissions'],
  env: { IS_SANDBOX: '1' },
  homeVolume: 'paddock-home-claude-proj',
  createdAt: '2026-01-01T00:00:00.000Z',
  extraLabels: {},
  dns: null,
  tmpfs: {},
  volumes: [],
};

type Body = ReturnType<typeof buildContainerCreate> & { HostConfig: Record<string, any>; Env: string[]; Labels: Record<string, string> };
const build = (over: Partial<SandboxSpec>) => buildContainerCreate({ ...base, ...over }) as Body;
const env = (b: Body) => Object.fromEntries(b.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

describe('buildContainerCreate', () => {
  it.each<[string, Partial<SandboxSpec>, (b: Body) => void]>([
    ['mounts the workspace at the same path and works there', {}, (b) => {
      expect(b.WorkingDir).toBe('/home/ada/src/proj');
      expect(b.HostConfig.Mounts[0]).toMatchObject({ Type: 'bind', Source: '/home/ada/src/proj', Target: '/home/ada/src/proj', ReadOnly: false });
    }],
    ['adds extra mounts at their own paths, read-only when asked', { mounts: [{ source: '/data/ref', readOnly: true }] }, (b) => {
      expect(b.HostConfig.Mounts[1]).toMatchObject({ Source: '/data/ref', Target: '/data/ref', ReadOnly: true });
    }],
    ['mounts extra named volumes after HOME', { volumes: [{ name: 'paddock-creds-claude', target: '/home/agent/.claude' }] }, (b) => {
      expect(b.HostConfig.Mounts.at(-1)).toMatchObject({ Type: 'volume', Source: 'paddock-creds-claude', Target: '/home/agent/.claude' });
    }],
    ['keeps HOME on a named volume', {}, (b) => {
      expect(b.HostConfig.Mounts.at(-1)).toMatchObject({ Type: 'volume', Source: 'paddock-home-claude-proj', Target: '/home/agent' });
    }],
    ['drops every capability but the documented list', {}, (b) => {
      expect(b.HostConfig.CapDrop).toEqual(['ALL']);
      expect(b.HostConfig.CapAdd).toEqual([...KEPT_CAPABILITIES]);
      expect(b.HostConfig.CapAdd).not.toContain('SYS_ADMIN');
      expect(b.HostConfig.CapAdd).not.toContain('NET_RAW');
      expect(b.HostConfig.CapAdd).not.toContain('MKNOD');
    }],
    ['never privileged, never unconfined seccomp, no host namespaces', {}, (b) => {
      expect(b.HostConfig.Privileged).toBe(false);
      expect(b.HostConfig.SecurityOpt.join()).not.toMatch(/unconfined/);
      expect(b.HostConfig.NetworkMode).not.toBe('host');
      expect(b.HostConfig.PidMode).toBeUndefined();
      expect(b.HostConfig.IpcMode).toBe('private');
    }],
    ["runs under Paddock's own seccomp profile, passed inline, and keeps sudo working (no no-new-privileges)", {}, (b) => {
      const opts: string[] = b.HostConfig.SecurityOpt;
      const sc = opts.filter((o) => o.startsWith('seccomp='));
      expect(sc).toHaveLength(1);
      const profile = JSON.parse(sc[0]!.slice('seccomp='.length));
      expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(profile.syscalls.some((r: { names: string[] }) => r.names.includes('chmod'))).toBe(true);
      expect(opts.join()).not.toMatch(/no-new-privileges/);
    }],
    ['applies resource limits, with no swap beyond memory', { cpus: 1.5, memoryBytes: 2 ** 30, pids: 256 }, (b) => {
      expect(b.HostConfig.NanoCpus).toBe(1.5e9);
      expect(b.HostConfig.Memory).toBe(2 ** 30);
      expect(b.HostConfig.MemorySwap).toBe(2 ** 30);
      expect(b.HostConfig.PidsLimit).toBe(256);
    }],
    ['puts /tmp on a bounded tmpfs and keeps extra tmpfs mounts', { tmpfs: { '/run/secrets': 'size=1m' } }, (b) => {
      expect(b.HostConfig.Tmpfs['/tmp']).toMatch(/size=/);
      expect(b.HostConfig.Tmpfs['/run/secrets']).toBe('size=1m');
    }],
    ['never mounts the engine socket', {}, (b) => {
      expect(JSON.stringify(b.HostConfig.Mounts)).not.toMatch(/docker\.sock/);
    }],
    ['uses the runtime of its isolation level', { isolation: 'gvisor', runtime: 'runsc' }, (b) => expect(b.HostConfig.Runtime).toBe('runsc')],
    ['sits on its own network', {}, (b) => {
      expect(b.HostConfig.NetworkMode).toBe('paddock-net-claude-proj');
      expect(Object.keys((b.NetworkingConfig as any).EndpointsConfig)).toEqual(['paddock-net-claude-proj']);
    }],
    ['has no network at all without one', { networkName: null }, (b) => expect(b.HostConfig.NetworkMode).toBe('none')],
    ['sets DNS when the egress module asks', { dns: ['127.0.0.1'] }, (b) => expect(b.HostConfig.Dns).toEqual(['127.0.0.1'])],
    ['passes uid/gid, workspace and argv to paddock-init', {}, (b) => {
      const e = env(b);
      expect(e).toMatchObject({ PADDOCK_UID: '1000', PADDOCK_GID: '1000', PADDOCK_WORKSPACE: '/home/ada/src/proj', TERM: 'xterm-256color', IS_SANDBOX: '1' });
      expect(JSON.parse(e.PADDOCK_AGENT_ARGV!)).toEqual(['claude', '--dangerously-skip-permissions']);
    }],
    ['user env cannot override what Paddock sets', { env: { HOME: '/evil', PADDOCK_UID: '0' } }, (b) => {
      expect(env(b).HOME).toBe('/home/agent');
      expect(env(b).PADDOCK_UID).toBe('1000');
    }],
    ['carries its spec in labels so paddockd can rediscover it', { extraLabels: { 'io.paddock.test': 'run1' } }, (b) => {
      expect(b.Labels['io.paddock.managed']).toBe('true');
      expect(b.Labels['io.paddock.sandbox']).toBe('claude-proj');
      expect(b.Labels['io.paddock.test']).toBe('run1');
      expect(decodeSpecLabel(b.Labels['io.paddock.spec'])).toMatchObject({ name: 'claude-proj', workspace: '/home/ada/src/proj', uid: 1000, autonomy: true });
    }],
    ['bounds the engine log under a log flood', {}, (b) => expect(b.HostConfig.LogConfig.Config['max-size']).toBeDefined()],
  ])('%s', (_title, over, check) => check(build(over)));

  it('keeps no secret-looking env value in labels', () => {
    const b = build({ env: { ANTHROPIC_API_KEY: 'sk-secret' } });
    expect(JSON.stringify(b.Labels)).not.toContain('sk-secret');
  });
});

describe('names and runtimes', () => {
  it.each([
    ['claude', '/home/ada/src/my proj', 'claude-my-proj'],
    ['shell', '/srv/x', 'shell-x'],
    ['codex', '/tmp/.hidden', 'codex-hidden'],
  ])('defaultSandboxName(%s, %s) = %s', (agent, ws, expected) => expect(defaultSandboxName(agent, ws)).toBe(expected));

  it('makes names unique', () => {
    expect(uniqueName('a', new Set())).toBe('a');
    expect(uniqueName('a', new Set(['a', 'a-2']))).toBe('a-3');
  });

  it('makes engine-safe hostnames', () => expect(hostnameFor('Claude_Proj.1')).toBe('claude-proj-1'));

  it.each([
    ['container', [], 'runc'],
    ['gvisor', ['runc', 'runsc'], 'runsc'],
    ['gvisor', ['runc'], null],
    ['microvm', ['runc', 'runsc'], null],
    ['microvm', ['kata-fc'], 'kata-fc'],
  ] as const)('runtimeFor(%s, %j) = %s', (iso, avail, expected) => expect(runtimeFor(iso, avail)).toBe(expected));

  it('validates env names', () => {
    expect(() => validateEnv({ GOOD_NAME: 'x' })).not.toThrow();
    expect(() => validateEnv({ '1BAD': 'x' })).toThrow(/not a valid/);
    expect(() => validateEnv({ PADDOCK_UID: '0' })).toThrow(/set by Paddock/);
  });
});
