import { describe, expect, it } from 'vitest';
import {
  Rule, applyDefaults, compilePolicyFile, denyHit, describePolicy, emptyPolicy, evaluate, globMatch, hostDenied, mergePolicies,
  parseCidr, parseIp, requestFromCreate, requestFromSandbox, type Policy, type PolicyRequest,
} from './policy.js';
import type { SandboxInfo } from './protocol.js';

const HOME = '/home/ada';
const USER = '/home/ada/.config/paddock/policy.yaml';
const ORG = '/etc/paddock/org-policy.yaml';
const GiB = 1024 ** 3;

function compile(doc: unknown, source = USER): Policy {
  const { policy, issues } = compilePolicyFile(doc, source, HOME);
  if (!policy) throw new Error('policy did not compile: ' + JSON.stringify(issues));
  return policy;
}

const base: PolicyRequest = {
  agent: 'claude',
  image: 'paddock/agent-claude:abc123',
  workspace: '/home/ada/src/app',
  mounts: [],
  isolation: 'container',
  network: 'allowlist',
  allowHosts: ['api.anthropic.com'],
  cpus: 2,
  memoryBytes: 4 * GiB,
  pids: 1024,
  envSecrets: [],
  othersRunning: 0,
};

interface Case {
  name: string;
  doc: unknown;
  req: Partial<PolicyRequest>;
  /** Rules expected to be violated, in order; [] = allowed. */
  rules: string[];
}

const cases: Case[] = [
  { name: 'empty policy allows anything', doc: {}, req: { network: 'open', cpus: 64 }, rules: [] },
  // agents.allow
  { name: 'listed agent is allowed', doc: { agents: { allow: ['claude', 'shell'] } }, req: {}, rules: [] },
  { name: 'unlisted agent is refused', doc: { agents: { allow: ['shell'] } }, req: { agent: 'codex' }, rules: [Rule.Agents] },
  { name: 'empty agent list refuses all', doc: { agents: { allow: [] } }, req: {}, rules: [Rule.Agents] },
  // images.allow
  { name: 'image matching a glob is allowed', doc: { images: { allow: ['paddock/*'] } }, req: {}, rules: [] },
  { name: 'image not matching is refused', doc: { images: { allow: ['ghcr.io/acme/*'] } }, req: {}, rules: [Rule.Images] },
  { name: 'unknown image skips the image rule', doc: { images: { allow: ['ghcr.io/acme/*'] } }, req: { image: undefined }, rules: [] },
  // workspaces.roots
  { name: 'workspace under a root', doc: { workspaces: { roots: ['~/src'] } }, req: {}, rules: [] },
  { name: 'workspace equal to a root', doc: { workspaces: { roots: ['~/src/app'] } }, req: {}, rules: [] },
  { name: 'workspace outside roots', doc: { workspaces: { roots: ['~/work'] } }, req: {}, rules: [Rule.WorkspaceRoots] },
  { name: 'sibling with a shared prefix is outside', doc: { workspaces: { roots: ['~/src/ap'] } }, req: {}, rules: [Rule.WorkspaceRoots] },
  { name: 'extra mount outside roots', doc: { workspaces: { roots: ['~/src'] } }, req: { mounts: [{ source: '/opt/data', readOnly: true }] }, rules: [Rule.WorkspaceRoots] },
  // workspaces.forbid
  { name: 'workspace inside a forbidden path', doc: { workspaces: { forbid: ['~/src/app'] } }, req: { workspace: '/home/ada/src/app/sub' }, rules: [Rule.WorkspaceForbid] },
  { name: 'workspace containing a forbidden path', doc: { workspaces: { forbid: ['~/src/app/.secrets'] } }, req: {}, rules: [Rule.WorkspaceForbid] },
  { name: 'mount of a forbidden path', doc: { workspaces: { forbid: ['~/.ssh'] } }, req: { mounts: [{ source: '/home/ada/.ssh', readOnly: true }] }, rules: [Rule.WorkspaceForbid] },
  { name: 'unrelated forbidden path', doc: { workspaces: { forbid: ['~/.ssh'] } }, req: {}, rules: [] },
  // isolation.allow
  { name: 'required gvisor refuses container', doc: { isolation: { allow: ['gvisor', 'microvm'] } }, req: {}, rules: [Rule.IsolationAllow] },
  { name: 'required gvisor accepts gvisor', doc: { isolation: { allow: ['gvisor'] } }, req: { isolation: 'gvisor' }, rules: [] },
  // resources.max
  { name: 'cpus at the ceiling', doc: { resources: { max: { cpus: 2 } } }, req: {}, rules: [] },
  { name: 'cpus above the ceiling', doc: { resources: { max: { cpus: 1.5 } } }, req: {}, rules: [Rule.MaxCpus] },
  { name: 'memory above the ceiling', doc: { resources: { max: { memory: '2g' } } }, req: {}, rules: [Rule.MaxMemory] },
  { name: 'memory at the ceiling (number)', doc: { resources: { max: { memory: 4 * GiB } } }, req: {}, rules: [] },
  { name: 'pids above the ceiling', doc: { resources: { max: { pids: 512 } } }, req: {}, rules: [Rule.MaxPids] },
  { name: 'all three ceilings', doc: { resources: { max: { cpus: 1, memory: '1g', pids: 100 } } }, req: {}, rules: [Rule.MaxCpus, Rule.MaxMemory, Rule.MaxPids] },
  // network.allowOpen
  { name: 'open refused', doc: { network: { allowOpen: false } }, req: { network: 'open' }, rules: [Rule.AllowOpen] },
  { name: 'open allowed explicitly', doc: { network: { allowOpen: true } }, req: { network: 'open' }, rules: [] },
  { name: 'allowlist fine when open refused', doc: { network: { allowOpen: false } }, req: {}, rules: [] },
  // network.denyHosts
  { name: 'exact denied host', doc: { network: { denyHosts: ['pastebin.com'] } }, req: { allowHosts: ['pastebin.com'] }, rules: [Rule.DenyHosts] },
  { name: 'subdomain of a denied name', doc: { network: { denyHosts: ['pastebin.com'] } }, req: { allowHosts: ['www.pastebin.com'] }, rules: [Rule.DenyHosts] },
  { name: 'wildcard allow covering a denied host', doc: { network: { denyHosts: ['gist.github.com'] } }, req: { allowHosts: ['*.github.com'] }, rules: [Rule.DenyHosts] },
  { name: 'wildcard deny does not cover the apex', doc: { network: { denyHosts: ['*.example.com'] } }, req: { allowHosts: ['example.com'] }, rules: [] },
  { name: 'wildcard deny covers a subdomain', doc: { network: { denyHosts: ['*.example.com'] } }, req: { allowHosts: ['a.example.com'] }, rules: [Rule.DenyHosts] },
  { name: 'IP inside a denied CIDR', doc: { network: { denyHosts: ['169.254.0.0/16'] } }, req: { allowHosts: ['169.254.169.254'] }, rules: [Rule.DenyHosts] },
  { name: 'CIDR overlapping a denied CIDR', doc: { network: { denyHosts: ['10.1.0.0/16'] } }, req: { allowHosts: ['10.0.0.0/8'] }, rules: [Rule.DenyHosts] },
  { name: 'IPv6 inside a denied prefix', doc: { network: { denyHosts: ['fd00::/8'] } }, req: { allowHosts: ['[fd12::1]'] }, rules: [Rule.DenyHosts] },
  { name: 'IP outside the denied CIDR', doc: { network: { denyHosts: ['10.0.0.0/8'] } }, req: { allowHosts: ['192.168.1.1'] }, rules: [] },
  { name: 'unrelated host', doc: { network: { denyHosts: ['pastebin.com'] } }, req: { allowHosts: ['notpastebin.com'] }, rules: [] },
  { name: 'allow-all covers every deny', doc: { network: { denyHosts: ['pastebin.com'] } }, req: { allowHosts: ['*'] }, rules: [Rule.DenyHosts] },
  { name: 'network none ignores hosts', doc: { network: { denyHosts: ['pastebin.com'] } }, req: { network: 'none', allowHosts: ['pastebin.com'] }, rules: [] },
  // secrets.allowEnv
  { name: 'env secrets refused', doc: { secrets: { allowEnv: false } }, req: { envSecrets: ['GITHUB_TOKEN'] }, rules: [Rule.AllowEnvSecrets] },
  { name: 'env secrets allowed', doc: { secrets: { allowEnv: true } }, req: { envSecrets: ['GITHUB_TOKEN'] }, rules: [] },
  { name: 'no env secrets, nothing to refuse', doc: { secrets: { allowEnv: false } }, req: {}, rules: [] },
  // sandboxes.maxConcurrent
  { name: 'under the concurrency limit', doc: { sandboxes: { maxConcurrent: 2 } }, req: { othersRunning: 1 }, rules: [] },
  { name: 'at the concurrency limit', doc: { sandboxes: { maxConcurrent: 2 } }, req: { othersRunning: 2 }, rules: [Rule.MaxConcurrent] },
  { name: 'concurrency not counted on update', doc: { sandboxes: { maxConcurrent: 1 } }, req: { othersRunning: undefined }, rules: [] },
  // everything at once
  {
    name: 'every violation is returned',
    doc: { agents: { allow: ['shell'] }, isolation: { allow: ['gvisor'] }, network: { allowOpen: false } },
    req: { network: 'open' },
    rules: [Rule.Agents, Rule.IsolationAllow, Rule.AllowOpen],
  },
];

describe('evaluate', () => {
  it.each(cases)('$name', ({ doc, req, rules }) => {
    const policy = compile(doc);
    const violations = evaluate(policy, { ...base, ...req });
    expect(violations.map((v) => v.rule)).toEqual(rules);
    for (const v of violations) {
      expect(v.source).toBe(USER);
      expect(v.message.length).toBeGreaterThan(20);
    }
  });

  it('names the allowed values and what to do', () => {
    const [v] = evaluate(compile({ isolation: { allow: ['gvisor'] } }), base);
    expect(v?.message).toContain('--isolation gvisor');
    const [m] = evaluate(compile({ resources: { max: { memory: '2g' } } }), base);
    expect(m?.message).toContain('--memory 2GiB');
  });
});

describe('merge: the organization file wins', () => {
  const user = compile({ agents: { allow: ['claude', 'codex'] }, isolation: { allow: ['container', 'gvisor'] }, network: { allowOpen: true, denyHosts: ['a.example'] }, resources: { max: { cpus: 8 } }, onViolation: 'flag' }, USER);
  const org = compile({ agents: { allow: ['claude'] }, network: { allowOpen: false, denyHosts: ['b.example'] }, onViolation: 'stop' }, ORG);
  const merged = mergePolicies(user, org);

  it.each([
    { name: 'org agent list replaces the user one', req: { agent: 'codex' }, rule: Rule.Agents, source: ORG },
    { name: 'org forbids open although the user allows it', req: { network: 'open' as const }, rule: Rule.AllowOpen, source: ORG },
    { name: 'user ceiling still applies where the org is silent', req: { cpus: 9 }, rule: Rule.MaxCpus, source: USER },
    { name: 'user deny stays', req: { allowHosts: ['a.example'] }, rule: Rule.DenyHosts, source: USER },
    { name: 'org deny added', req: { allowHosts: ['b.example'] }, rule: Rule.DenyHosts, source: ORG },
  ])('$name', ({ req, rule, source }) => {
    const vs = evaluate(merged, { ...base, ...req });
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ rule, source });
  });

  it('every shown value names its file', () => {
    const shown = describePolicy(merged);
    expect(shown.find((r) => r.rule === Rule.Agents)).toEqual({ rule: Rule.Agents, value: ['claude'], source: ORG });
    expect(shown.find((r) => r.rule === Rule.IsolationAllow)?.source).toBe(USER);
    expect(shown.find((r) => r.rule === Rule.OnViolation)).toEqual({ rule: Rule.OnViolation, value: 'stop', source: ORG });
    expect(shown.filter((r) => r.rule === Rule.DenyHosts).map((r) => r.source)).toEqual([USER, ORG]);
  });

  it('org order matters: the later layer wins', () => {
    expect(mergePolicies(org, user).agents).toEqual({ value: ['claude', 'codex'], source: USER });
  });

  it('onViolation defaults to flag (built-in)', () => {
    expect(mergePolicies(compile({}), compile({}, ORG)).onViolation).toEqual({ value: 'flag', source: 'built-in' });
  });
});

describe('compilePolicyFile', () => {
  it.each([
    { name: 'unknown top-level key', doc: { agent: { allow: ['x'] } }, path: ['agent'], msg: 'unknown key' },
    { name: 'unknown nested key', doc: { network: { denyHost: [] } }, path: ['network', 'denyHost'], msg: 'unknown key' },
    { name: 'bad isolation', doc: { isolation: { allow: ['vm'] } }, path: ['isolation', 'allow', 0], msg: '' },
    { name: 'root of /', doc: { workspaces: { roots: ['/'] } }, path: ['workspaces', 'roots', 0], msg: 'root directory' },
    { name: 'home itself as root', doc: { workspaces: { roots: ['~'] } }, path: ['workspaces', 'roots', 0], msg: 'home directory' },
    { name: 'system path as root', doc: { workspaces: { roots: ['/etc/x'] } }, path: ['workspaces', 'roots', 0], msg: '/etc' },
    { name: 'relative path', doc: { workspaces: { forbid: ['src'] } }, path: ['workspaces', 'forbid', 0], msg: 'absolute' },
    { name: 'bad memory size', doc: { resources: { max: { memory: 'lots' } } }, path: ['resources', 'max', 'memory'], msg: 'memory size' },
    { name: 'default above max', doc: { resources: { max: { cpus: 2 }, default: { cpus: 4 } } }, path: ['resources', 'default', 'cpus'], msg: 'above' },
    { name: 'default isolation not allowed', doc: { isolation: { allow: ['gvisor'], default: 'container' } }, path: ['isolation', 'default'], msg: 'not in' },
    { name: 'bad deny host', doc: { network: { denyHosts: ['not a host'] } }, path: ['network', 'denyHosts', 0], msg: 'not a host' },
    { name: 'open default with open refused', doc: { network: { default: 'open', allowOpen: false } }, path: ['network', 'default'], msg: 'contradicts' },
    { name: 'bad onViolation', doc: { onViolation: 'kill' }, path: ['onViolation'], msg: '' },
  ])('$name', ({ doc, path, msg }) => {
    const { policy, issues } = compilePolicyFile(doc, USER, HOME);
    expect(policy).toBeNull();
    expect(issues[0]?.path).toEqual(path);
    expect(issues[0]?.message).toContain(msg);
  });

  it('an empty file is an empty policy', () => {
    expect(compilePolicyFile(null, USER, HOME)).toEqual({ policy: emptyPolicy(), issues: [] });
  });
});

describe('defaults', () => {
  const policy = compile({ isolation: { allow: ['gvisor'] }, network: { default: 'none' }, resources: { default: { memory: '1g' }, max: { cpus: 1 } } });

  it('fills in only what the request leaves open, capped at the ceilings', () => {
    expect(applyDefaults(policy, { agent: 'shell', workspace: '/w/x' })).toEqual({ agent: 'shell', workspace: '/w/x', isolation: 'gvisor', network: 'none', cpus: 1, memory: GiB });
    expect(applyDefaults(policy, { agent: 'shell', workspace: '/w/x', network: 'allowlist', cpus: 0.5 })).toMatchObject({ network: 'allowlist', cpus: 0.5 });
  });

  it('a defaulted request passes its own policy', () => {
    const req = requestFromCreate(policy, { agent: 'shell', workspace: '/home/ada/src/app' }, []);
    expect(evaluate(policy, req)).toEqual([]);
  });

  it('agent preset hosts are checked against denies', () => {
    const p = compile({ network: { denyHosts: ['sentry.io'] } });
    const req = requestFromCreate(p, { agent: 'claude', workspace: '/home/ada/src/app' }, ['api.anthropic.com', 'sentry.io']);
    expect(evaluate(p, req).map((v) => v.rule)).toEqual([Rule.DenyHosts]);
  });

  it('a live change is evaluated on top of the sandbox', () => {
    const info = { agent: 'claude', image: 'i', workspace: '/home/ada/src/app', mounts: [], isolation: 'container', network: 'allowlist', allowHosts: [], resources: { cpus: 1, memoryBytes: GiB, pids: 256 } } as unknown as SandboxInfo;
    const p = compile({ network: { allowOpen: false }, resources: { max: { memory: '2g' } } });
    expect(evaluate(p, requestFromSandbox(info, {}))).toEqual([]);
    expect(evaluate(p, requestFromSandbox(info, { network: 'open', memory: '3g' })).map((v) => v.rule)).toEqual([Rule.MaxMemory, Rule.AllowOpen]);
  });
});

describe('addresses', () => {
  it.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['::1', 6, 1n],
    ['[::ffff:1.2.3.4]', 6, 0xffff01020304n],
    ['fe80::1:2', 6, (0xfe80n << 112n) | (1n << 16n) | 2n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ] as const)('parses %s', (s, family, value) => {
    expect(parseIp(s)).toEqual({ family, value });
  });

  it.each(['256.0.0.1', '1.2.3', '1::2::3', 'example.com', '1:2:3:4:5:6:7:8:9', '10.0.0.0/33'])('rejects %s', (s) => {
    expect(s.includes('/') ? parseCidr(s) : parseIp(s)).toBeNull();
  });

  it('hostDenied checks the resolved address too', () => {
    const p = compile({ network: { denyHosts: ['169.254.169.254', 'evil.example'] } });
    expect(hostDenied(p, 'metadata.internal', '169.254.169.254')?.value).toBe('169.254.169.254');
    expect(hostDenied(p, 'sub.evil.example')?.value).toBe('evil.example');
    expect(hostDenied(p, 'good.example', '203.0.115.10')).toBeNull();
    expect(denyHit(p, 'not a host')).toBeNull();
  });

  it('globs', () => {
    expect(globMatch('paddock/*', 'paddock/agent-claude:1')).toBe(true);
    expect(globMatch('paddock/*', 'evil/paddock/x')).toBe(false);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });
});
