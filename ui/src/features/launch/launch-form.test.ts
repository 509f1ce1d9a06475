import { describe, expect, it } from 'vitest';
import type { AgentInfo, RuntimeInfo } from '../../core';
import { sandbox } from '../../state/fixtures';
import { firstAvailableIsolation, hostError, hostsForAgentChange, initialLaunchValues, validateLaunch, type LaunchValues } from './launch-form';

const agent = (name: string, hosts: string[] = []): AgentInfo => ({
  name,
  title: name,
  description: '',
  custom: false,
  image: '',
  imageState: 'ready',
  hosts,
  command: [],
});
const runtimes: RuntimeInfo[] = [
  { isolation: 'container', available: true, runtime: 'runc', reason: null },
  { isolation: 'gvisor', available: false, runtime: null, reason: 'runsc is not installed; see docs/isolation.md' },
  { isolation: 'microvm', available: false, runtime: null, reason: 'no Kata runtime' },
];
const agents = [agent('shell'), agent('claude', ['api.anthropic.com'])];
const ctx = { agents, runtimes, sandboxes: [sandbox({ name: 'shell-proj', workspace: '/tmp/proj', agent: 'shell' })] };
const values = (over: Partial<LaunchValues> = {}): LaunchValues => ({ ...initialLaunchValues({ workspace: '/tmp/proj', agent: agents[0], runtimes }), ...over });

describe('validateLaunch', () => {
  it('builds a minimal request from defaults', () => {
    const r = validateLaunch(values(), ctx);
    expect(r.errors).toEqual({});
    expect(r.request).toEqual({ agent: 'shell', workspace: '/tmp/proj', network: 'allowlist', isolation: 'container', autonomy: true, allowHosts: [] });
  });

  it('requires workspace and agent', () => {
    const r = validateLaunch(values({ workspace: '', agent: '' }), ctx);
    expect(Object.keys(r.errors).sort()).toEqual(['agent', 'workspace']);
    expect(r.request).toBeNull();
  });

  it('rejects bad and taken names', () => {
    expect(validateLaunch(values({ name: '-bad' }), ctx).errors.name).toMatch(/letters, digits/);
    expect(validateLaunch(values({ name: 'shell-proj' }), ctx).errors.name).toMatch(/already exists/);
  });

  it('refuses an unavailable isolation with the engine reason', () => {
    expect(validateLaunch(values({ isolation: 'gvisor' }), ctx).errors.isolation).toBe('runsc is not installed; see docs/isolation.md');
  });

  it('parses resources and reports bad ones in words', () => {
    const ok = validateLaunch(values({ cpus: '1.5', memory: '2g', pids: '256' }), ctx).request!;
    expect([ok.cpus, ok.memory, ok.pids]).toEqual([1.5, 2 * 1024 ** 3, 256]);
    const bad = validateLaunch(values({ cpus: 'lots', memory: '10k', pids: '3' }), ctx).errors;
    expect(bad.cpus).toMatch(/CPU/);
    expect(bad.memory).toMatch(/minimum/);
    expect(bad.memory).not.toMatch(/--memory/);
    expect(bad.pids).toMatch(/16/);
  });

  it('checks allowlist hosts only in allowlist mode', () => {
    expect(validateLaunch(values({ allowHosts: ['https://x.com'] }), ctx).errors.allowHosts).toMatch(/without http/);
    const open = validateLaunch(values({ network: 'open', allowHosts: ['https://x.com'] }), ctx);
    expect(open.errors).toEqual({});
    expect(open.request?.allowHosts).toBeUndefined();
  });

  it('asks for a new sandbox when a name is given or the box is ticked, and reuses otherwise', () => {
    expect(validateLaunch(values({ name: 'second' }), ctx).request?.reuse).toBe(false);
    expect(validateLaunch(values({ createNew: true }), ctx).request?.reuse).toBe(false);
    expect(validateLaunch(values(), ctx).request?.reuse).toBeUndefined();
  });
});

describe('hosts', () => {
  it('accepts names, wildcards and ports; rejects URLs and junk', () => {
    for (const h of ['api.anthropic.com', '*.github.com', 'localhost:8080', 'A.Example.COM']) expect(hostError(h)).toBeNull();
    for (const h of ['', 'http://x.com', 'x.com/path', 'a..b', '-a.com', 'a b']) expect(hostError(h)).not.toBeNull();
  });
  it('swaps agent presets but keeps hand-added hosts', () => {
    const next = hostsForAgentChange(['api.anthropic.com', 'example.com'], agents[1], agent('codex', ['api.openai.com']));
    expect(next).toEqual(['api.openai.com', 'example.com']);
  });
  it('prefers container isolation, else the first available', () => {
    expect(firstAvailableIsolation(runtimes)).toBe('container');
    expect(firstAvailableIsolation([{ isolation: 'gvisor', available: true, runtime: 'runsc', reason: null }])).toBe('gvisor');
  });
});

describe('validateLaunch with secrets', () => {
  const row = (name: string, mode: 'proxy' | 'file' | 'env') => ({ name, mode, target: 'preset' as const, host: '', header: '', prefix: '' });
  it('sends the attachments with their modes', () => {
    const r = validateLaunch(values({ secrets: [row('ANTHROPIC_API_KEY', 'proxy'), row('NPM_TOKEN', 'file')] }), ctx);
    expect(r.request?.secrets).toEqual([
      { name: 'ANTHROPIC_API_KEY', mode: 'proxy' },
      { name: 'NPM_TOKEN', mode: 'file' },
    ]);
  });
  it('keeps the form and names the bad row', () => {
    const r = validateLaunch(values({ network: 'none', secrets: [row('ANTHROPIC_API_KEY', 'proxy')] }), ctx);
    expect(r.request).toBeNull();
    expect(r.errors.secrets).toBe('Fix the secrets marked below.');
    expect(r.secretErrors[0]).toMatch(/needs a network/);
  });
});
