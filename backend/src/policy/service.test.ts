import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../api/context.js';
import { httpStatusFor, isPaddockError, type PaddockError } from '../core/errors.js';
import type { PolicyCheckResult, PolicyView } from '../core/policy-protocol.js';
import type { SandboxInfo } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { CreateContext } from '../sandboxes/hooks.js';
import { POLICY_SERVICE, registerPolicyRoutes } from './routes.js';
import { PolicyService, type PolicyServiceOptions } from './service.js';

const GiB = 1024 ** 3;
let dir: string;
let configDir: string;
let orgPath: string;
let sandboxes: SandboxInfo[];
let stopped: string[];
let records: { actor: string; action: string; sandbox: string | null; details: Record<string, unknown> }[];
const services: PolicyService[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-policy-svc-'));
  configDir = join(dir, 'config');
  orgPath = join(dir, 'etc', 'org-policy.yaml');
  await mkdir(configDir, { recursive: true });
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(orgPath, '# the organization has no rules yet\n');
  sandboxes = [];
  stopped = [];
  records = [];
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function service(over: Partial<PolicyServiceOptions> = {}): Promise<PolicyService> {
  const s = await PolicyService.start({
    configDir,
    orgPath,
    homeDir: '/home/ada',
    pollMs: 0,
    listSandboxes: async () => sandboxes,
    stopSandbox: async (name) => {
      stopped.push(name);
      sandboxes = sandboxes.map((x) => (x.name === name ? { ...x, state: 'stopped' } : x));
    },
    record: (actor, action, sandbox, details) => records.push({ actor, action, sandbox, details }),
    ...over,
  });
  services.push(s);
  return s;
}

const userFile = (text: string): Promise<void> => writeFile(join(configDir, 'policy.yaml'), text);
const orgFile = (text: string): Promise<void> => writeFile(orgPath, text);

function spec(over: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    name: 'claude-app', agent: 'claude', workspace: '/home/ada/src/app', image: 'paddock/agent-claude:1', isolation: 'container', runtime: 'runc',
    network: 'allowlist', networkName: 'paddock-net-claude-app', allowHosts: ['api.anthropic.com'], mounts: [], cpus: 2, memoryBytes: 4 * GiB, pids: 1024,
    autonomy: true, uid: 1000, gid: 1000, agentArgs: [], agentArgv: ['claude'], env: {}, homeVolume: 'h', createdAt: '2026-01-01T00:00:00Z',
    extraLabels: {}, dns: null, tmpfs: {}, ...over,
  };
}
const ctx = (request: Partial<CreateContext['request']> = {}): CreateContext => ({ actor: 'cli', request: { agent: 'claude', workspace: '/home/ada/src/app', ...request }, plan: {} as CreateContext['plan'] });

function info(name: string, over: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    name, id: name, agent: 'claude', workspace: `/home/ada/src/${name}`, state: 'running', agentState: 'running', agentExitCode: null, isolation: 'container',
    network: 'allowlist', allowHosts: [], image: 'paddock/agent-claude:1', createdAt: '2026-01-01T00:00:00Z', mounts: [],
    resources: { cpus: 2, memoryBytes: 4 * GiB, pids: 1024 }, autonomy: true, uid: 1000, gid: 1000, agentArgs: [], ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<PaddockError> {
  const e = await p.then(() => null, (x: unknown) => x);
  if (!isPaddockError(e)) throw new Error(`expected a PaddockError, got ${String(e)}`);
  return e;
}

describe('on create', () => {
  it.each([
    { name: 'forbidden workspace', policy: 'workspaces:\n  forbid: [~/src/app]\n', spec: {}, rule: 'workspaces.forbid' },
    { name: 'workspace outside roots', policy: 'workspaces:\n  roots: [~/work]\n', spec: {}, rule: 'workspaces.roots' },
    { name: 'forbidden agent', policy: 'agents:\n  allow: [shell]\n', spec: {}, rule: 'agents.allow' },
    { name: 'forbidden isolation', policy: 'isolation:\n  allow: [gvisor]\n', spec: {}, rule: 'isolation.allow' },
    { name: 'denied host', policy: 'network:\n  denyHosts: [anthropic.com]\n', spec: {}, rule: 'network.denyHosts' },
    { name: 'open network', policy: 'network:\n  allowOpen: false\n', spec: { network: 'open' as const }, rule: 'network.allowOpen' },
    { name: 'image', policy: 'images:\n  allow: ["ghcr.io/acme/*"]\n', spec: {}, rule: 'images.allow' },
    { name: 'cpu ceiling (asked for explicitly)', policy: 'resources:\n  max: {cpus: 1}\n', spec: {}, rule: 'resources.max.cpus', request: { cpus: 2 } },
    { name: 'env-mode secret', policy: 'secrets:\n  allowEnv: false\n', spec: {}, rule: 'secrets.allowEnv', request: { secrets: [{ name: 'NPM_TOKEN', mode: 'env' as const }] } },
  ])('refuses a $name, naming the rule', async ({ policy, spec: s, rule, request }) => {
    await userFile(policy);
    const svc = await service();
    const e = await refusal(svc.beforeCreate(spec(s), ctx(request)));
    expect(e.code).toBe('policy_denied');
    expect(e.message).toContain(`[${rule}, ${join(configDir, 'policy.yaml')}]`);
    expect(e.details?.rules).toEqual([rule]);
    expect(records).toEqual([expect.objectContaining({ actor: 'cli', action: 'policy.refused', sandbox: 'claude-app' })]);
  });

  it('allows what the policy allows', async () => {
    await userFile('agents:\n  allow: [claude]\nworkspaces:\n  roots: [~/src]\n');
    await (await service()).beforeCreate(spec(), ctx());
    expect(records).toEqual([]);
  });

  it('the organization file wins over the user file', async () => {
    await userFile('agents:\n  allow: [claude, codex]\nnetwork:\n  allowOpen: true\n');
    await orgFile('agents:\n  allow: [codex]\n');
    const svc = await service();
    const e = await refusal(svc.beforeCreate(spec({ network: 'open' }), ctx()));
    expect(e.details?.violations).toEqual([expect.objectContaining({ rule: 'agents.allow', source: orgPath })]);
    expect(svc.view().rules.find((r) => r.rule === 'network.allowOpen')).toEqual({ rule: 'network.allowOpen', value: true, source: join(configDir, 'policy.yaml') });
  });

  it('fills resources the user left open from defaults and ceilings', async () => {
    await userFile('resources:\n  max: {cpus: 1, pids: 512}\n  default: {memory: 1g}\n');
    const s = spec();
    await (await service()).beforeCreate(s, ctx());
    expect([s.cpus, s.memoryBytes, s.pids]).toEqual([1, GiB, 512]);
  });

  it('counts running sandboxes against the limit', async () => {
    await userFile('sandboxes:\n  maxConcurrent: 2\n');
    sandboxes = [info('a'), info('b', { state: 'stopped' })];
    const svc = await service();
    await svc.beforeCreate(spec(), ctx());
    sandboxes.push(info('c'));
    expect((await refusal(svc.beforeCreate(spec(), ctx()))).details?.rules).toEqual(['sandboxes.maxConcurrent']);
  });

  it('fails closed while a file is broken, pointing at the line', async () => {
    await userFile('agents:\n  allow: [claude]\nnetwork:\n  allowOpen: perhaps\n');
    const svc = await service();
    const e = await refusal(svc.beforeCreate(spec(), ctx()));
    expect(e.details?.rules).toEqual(['policy.file']);
    expect(e.message).toContain('line 4');
  });

  it('fails closed when the configured organization file is missing', async () => {
    await rm(orgPath);
    const svc = await service();
    expect((await refusal(svc.beforeCreate(spec(), ctx()))).message).toContain('PADDOCK_ORG_POLICY');
  });
});

describe('on live change', () => {
  beforeEach(async () => {
    await orgFile('network:\n  allowOpen: false\n  denyHosts: [pastebin.com]\nresources:\n  max: {memory: 8g}\n');
  });

  it.each([
    { name: 'opening the network', change: { network: 'open' as const }, rule: 'network.allowOpen' },
    { name: 'allowing a denied host', change: { allowHosts: ['api.anthropic.com', 'pastebin.com'] }, rule: 'network.denyHosts' },
    { name: 'raising memory past the ceiling', change: { memory: '16g' }, rule: 'resources.max.memory' },
  ])('refuses $name, naming the rule', async ({ change, rule }) => {
    const svc = await service();
    const e = await refusal(svc.beforeUpdate(info('a'), change, 'dashboard'));
    expect(e.details?.violations).toEqual([expect.objectContaining({ rule, source: orgPath })]);
    expect(records[0]).toMatchObject({ actor: 'dashboard', action: 'policy.refused', details: { op: 'update' } });
  });

  it('checks egress allow rules and env secrets on request of those modules', async () => {
    await orgFile('network:\n  denyHosts: [pastebin.com]\nsecrets:\n  allowEnv: false\n');
    const svc = await service();
    svc.checkAllowHosts('cli', 'a', ['api.anthropic.com']);
    expect(() => svc.checkAllowHosts('cli', 'a', ['*.pastebin.com'])).toThrow(/network\.denyHosts/);
    svc.checkEnvSecrets('cli', 'a', []);
    expect(() => svc.checkEnvSecrets('cli', 'a', ['GITHUB_TOKEN'])).toThrow(/secrets\.allowEnv/);
  });

  it('refuses attaching an env-mode secret live when the policy forbids it', async () => {
    await userFile('secrets:\n  allowEnv: false\n');
    const svc = await service();
    const e = await refusal(svc.beforeUpdate(info('a'), { secrets: [{ name: 'NPM_TOKEN', mode: 'env' }] }, 'cli'));
    expect(e.details?.rules).toEqual(['secrets.allowEnv']);
    await svc.beforeUpdate(info('a'), { secrets: [{ name: 'NPM_TOKEN', mode: 'file' }] }, 'cli');
  });

  it('lets a flagged sandbox make changes that add no violation', async () => {
    const svc = await service();
    await svc.beforeUpdate(info('a', { network: 'open' }), { cpus: 1 }, 'cli');
  });
});

describe('on start of an existing sandbox', () => {
  it('refuses a violator before it runs, naming the rule', async () => {
    await orgFile('isolation:\n  allow: [gvisor]\n');
    sandboxes = [info('legacy', { state: 'stopped' })];
    const svc = await service();
    const e = await refusal(svc.beforeStart(info('legacy', { state: 'stopped' }), 'cli'));
    expect(e.details?.rules).toEqual(['isolation.allow']);
    expect(e.message).toContain('Policy refuses to start sandbox "legacy"');
    expect(stopped).toEqual([]);
  });

  it('lets a compliant sandbox run', async () => {
    await orgFile('isolation:\n  allow: [gvisor]\nsandboxes:\n  maxConcurrent: 2\n');
    sandboxes = [info('a', { isolation: 'gvisor' }), info('b', { isolation: 'gvisor' })];
    const svc = await service();
    await svc.beforeStart(sandboxes[1]!, 'cli');
    expect(stopped).toEqual([]);
  });

  it('holds the concurrency limit', async () => {
    await orgFile('sandboxes:\n  maxConcurrent: 1\n');
    sandboxes = [info('a'), info('b')];
    const svc = await service();
    sandboxes = [info('a'), info('b', { state: 'stopped' })];
    expect((await refusal(svc.beforeStart(sandboxes[1]!, 'cli'))).details?.rules).toEqual(['sandboxes.maxConcurrent']);
    expect(stopped).toEqual([]);
  });
});

describe('when the policy changes', () => {
  beforeEach(() => {
    sandboxes = [
      info('old', { createdAt: '2026-01-01T00:00:00Z' }),
      info('gv', { isolation: 'gvisor', createdAt: '2026-01-02T00:00:00Z' }),
      info('new', { createdAt: '2026-01-03T00:00:00Z' }),
      info('off', { state: 'stopped' }),
    ];
  });

  it('stops violators when onViolation is stop', async () => {
    const svc = await service();
    await orgFile('onViolation: stop\nisolation:\n  allow: [gvisor]\n');
    await svc.reload();
    expect(stopped).toEqual(['old', 'new']);
    expect(records.map((r) => [r.action, r.sandbox, r.details.outcome])).toEqual([
      ['policy.changed', null, undefined], ['policy.violation', 'old', 'stopped'], ['policy.violation', 'new', 'stopped'],
    ]);
  });

  it('flags violators (once) when onViolation is flag, and unflags them when fixed', async () => {
    const svc = await service();
    await orgFile('sandboxes:\n  maxConcurrent: 2\n');
    await svc.reload();
    expect(stopped).toEqual([]);
    expect(svc.view().flagged).toEqual([{ sandbox: 'new', violations: [expect.objectContaining({ rule: 'sandboxes.maxConcurrent' })] }]);
    await orgFile('sandboxes:\n  maxConcurrent: 2 # unchanged rule, new bytes\n');
    await svc.reload();
    expect(records.filter((r) => r.action === 'policy.violation')).toHaveLength(1);
    await orgFile('sandboxes:\n  maxConcurrent: 3\n');
    await svc.reload();
    expect(svc.view().flagged).toEqual([]);
  });

  it('keeps the last good rules in force when a file breaks', async () => {
    await orgFile('agents:\n  allow: [shell]\n');
    const svc = await service();
    await orgFile('agents:\n  allow: [shell\n');
    await svc.reload();
    expect(svc.policy.agents?.value).toEqual(['shell']);
    expect(svc.view().errors[0]).toMatchObject({ file: orgPath, line: 3 });
  });

  it('notices edits on its own (file watching)', async () => {
    const svc = await service({ pollMs: 20 });
    await orgFile('onViolation: stop\nagents:\n  allow: [shell]\n');
    const deadline = Date.now() + 5000;
    while (stopped.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stopped.sort()).toEqual(['gv', 'new', 'old']);
    expect(svc.policy.agents?.source).toBe(orgPath);
  });
});

describe('routes', () => {
  it('GET /policy shows each value with its file; POST /policy/check is a dry run', async () => {
    await userFile('isolation:\n  allow: [gvisor]\n  default: gvisor\n');
    await orgFile('agents:\n  allow: [claude]\n');
    const svc = await service();
    const app = Fastify();
    app.setErrorHandler((e, _req, reply) => {
      void reply.status(isPaddockError(e) ? httpStatusFor(e.code) : 500).send({ error: { code: isPaddockError(e) ? e.code : 'internal', message: String(e) } });
    });
    await registerPolicyRoutes(app, { services: { [POLICY_SERVICE]: svc } } as unknown as AppContext);

    const view = (await app.inject({ url: '/api/v1/policy' })).json() as PolicyView;
    expect(view.files).toEqual({ user: { path: join(configDir, 'policy.yaml'), present: true }, org: { path: orgPath, present: true } });
    expect(view.rules).toContainEqual({ rule: 'agents.allow', value: ['claude'], source: orgPath });
    expect(view.rules).toContainEqual({ rule: 'isolation.default', value: 'gvisor', source: join(configDir, 'policy.yaml') });

    const ok = (await app.inject({ method: 'POST', url: '/api/v1/policy/check', payload: { agent: 'claude', workspace: '/home/ada/src/x' } })).json() as PolicyCheckResult;
    expect(ok).toMatchObject({ allowed: true, violations: [], effective: { isolation: 'gvisor' } });
    const no = (await app.inject({ method: 'POST', url: '/api/v1/policy/check', payload: { agent: 'codex', workspace: '/home/ada/src/x', isolation: 'container' } })).json() as PolicyCheckResult;
    expect(no.violations.map((v) => v.rule)).toEqual(['agents.allow', 'isolation.allow']);
    expect((await app.inject({ method: 'POST', url: '/api/v1/policy/check', payload: { workspace: 1 } })).statusCode).toBe(400);
    await app.close();
  });
});
