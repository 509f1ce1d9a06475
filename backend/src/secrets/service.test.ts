import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditHooks } from '../audit/hooks.js';
import { auditDirOf } from '../audit/log.js';
import type { CreateSandboxRequest, SandboxInfo } from '../core/protocol.js';
import { buildContainerCreate, sandboxLabels, type SandboxSpec } from '../core/spec.js';
import type { ContainerSummary, Engine, ExecOptions } from '../engine/types.js';
import type { CreateContext } from '../sandboxes/hooks.js';
import type { CredentialInjector, InjectionRule } from './injector.js';
import { SecretsService } from './service.js';

const KEY = 'sk-ant-REAL-KEY-0123456789abcdef';
const NEW_KEY = 'sk-ant-ROTATED-KEY-fedcba9876543210';
const FILE_VALUE = 'npm_FILEVALUE_abcdef123456';

function specFor(name: string, over: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    name, agent: 'claude', workspace: '/work/p', image: 'img', isolation: 'container', runtime: 'runc', network: 'allowlist',
    networkName: `paddock-net-${name}`, allowHosts: [], mounts: [], cpus: 1, memoryBytes: 1 << 30, pids: 100, autonomy: true,
    uid: 1000, gid: 1000, agentArgs: [], agentArgv: ['claude'], env: {}, homeVolume: `paddock-home-${name}`, createdAt: '2026-01-01T00:00:00Z',
    extraLabels: {}, dns: null, tmpfs: {}, volumes: [], ...over,
  };
}

function infoFor(spec: SandboxSpec): SandboxInfo {
  return {
    name: spec.name, id: `id-${spec.name}`, agent: spec.agent, workspace: spec.workspace, state: 'running', agentState: 'running', agentExitCode: null,
    isolation: spec.isolation, network: spec.network, allowHosts: [], image: spec.image, createdAt: spec.createdAt, mounts: [],
    resources: { cpus: 1, memoryBytes: 1 << 30, pids: 100 }, autonomy: true, uid: spec.uid, gid: spec.gid, agentArgs: [],
  };
}

class FakeEngine {
  containers_: ContainerSummary[] = [];
  execs: { id: string; opts: ExecOptions }[] = [];
  volumesMade: { name: string; labels: Record<string, string> }[] = [];
  readonly volumes = { create: async (name: string, labels: Record<string, string>) => void this.volumesMade.push({ name, labels }) };
  execExit = 0;
  readonly containers = {
    list: async (filter: Record<string, string | true>) =>
      this.containers_.filter((c) => Object.entries(filter).every(([k, v]) => (v === true ? k in c.labels : c.labels[k] === v))),
    exec: async (id: string, opts: ExecOptions) => {
      this.execs.push({ id, opts });
      return { exitCode: this.execExit, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    },
  };
  run(spec: SandboxSpec, state = 'running'): void {
    this.containers_.push({ id: `id-${spec.name}`, name: spec.name, state, labels: sandboxLabels(spec), image: spec.image, createdAt: spec.createdAt });
  }
}

class FakeInjector implements CredentialInjector {
  calls: { sandbox: string; rules: InjectionRule[] }[] = [];
  async setInjections(sandbox: string, rules: InjectionRule[]): Promise<void> {
    this.calls.push({ sandbox, rules });
  }
  last(sandbox: string): InjectionRule[] | undefined {
    return this.calls.filter((c) => c.sandbox === sandbox).at(-1)?.rules;
  }
}

function ctxFor(secrets: unknown): CreateContext {
  return {
    actor: 'cli',
    request: { agent: 'claude', workspace: '/work/p', secrets } as unknown as CreateSandboxRequest,
    plan: { subnet: '10.213.0.16/28', gateway: '10.213.0.17', proxy: '10.213.0.18', sandbox: '10.213.0.19' },
  };
}

describe('SecretsService', () => {
  let dir: string;
  let engine: FakeEngine;
  let injector: FakeInjector;
  let records: { action: string; sandbox: string | null; details: Record<string, unknown> }[];
  let svc: SecretsService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paddock-secrets-svc-'));
    engine = new FakeEngine();
    injector = new FakeInjector();
    records = [];
    svc = new SecretsService({
      engine: engine as unknown as Engine,
      paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') },
      injector,
      audit: { record: (_actor, action, sandbox, details) => records.push({ action, sandbox, details }) },
    });
    await svc.set('ANTHROPIC_API_KEY', 'global', KEY, 'cli');
    await svc.set('NPM_TOKEN', 'agent:claude', FILE_VALUE, 'cli');
  });

  it('proxy mode: the sandbox gets a placeholder and a base URL at the proxy; the key is nowhere in the create body', async () => {
    const spec = specFor('s1', { env: { NO_PROXY: 'localhost,127.0.0.1', no_proxy: 'localhost,127.0.0.1' } }); // as the egress hook leaves it
    await svc.beforeCreate(spec, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    expect(spec.env.NO_PROXY).toBe('localhost,127.0.0.1,10.213.0.18'); // the credential port is reached directly
    expect(spec.env.no_proxy).toBe('localhost,127.0.0.1,10.213.0.18');
    expect(spec.env.ANTHROPIC_API_KEY).toMatch(/^paddock-placeholder-[0-9a-f]{32}$/);
    expect(spec.env.ANTHROPIC_BASE_URL).toBe('http://10.213.0.18:3129/anthropic');
    expect(JSON.stringify(buildContainerCreate(spec))).not.toContain(KEY);
    await svc.afterStart(infoFor(spec), 'id-s1');
    expect(injector.last('s1')).toEqual([{ id: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key', value: KEY }]);
  });

  it('file mode: a tmpfs for the agent uid, files written after start by a root exec, value only in that exec env (base64)', async () => {
    const spec = specFor('s2', { uid: 1234, gid: 2345 });
    await svc.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'file' }]));
    expect(spec.tmpfs['/run/secrets']).toBe('rw,nosuid,nodev,noexec,size=1m,mode=0700,uid=1234,gid=2345');
    expect(JSON.stringify(buildContainerCreate(spec))).not.toContain(FILE_VALUE);
    await svc.afterStart(infoFor(spec), 'id-s2');
    const exec = engine.execs.at(-1)!;
    expect(exec.opts.user).toBe('0:0');
    expect(exec.opts.cmd.slice(-3)).toEqual(['1234', '2345', 'NPM_TOKEN']);
    expect(exec.opts.cmd.join(' ')).not.toContain(FILE_VALUE);
    expect(exec.opts.env).toEqual([`PADDOCK_SECRET_0=${Buffer.from(FILE_VALUE).toString('base64')}`]);
  });

  it('env mode: the value goes into spec.env, only when asked for', async () => {
    const spec = specFor('s3');
    await svc.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'env' }]));
    expect(spec.env.NPM_TOKEN).toBe(FILE_VALUE);
    expect(spec.tmpfs).toEqual({});
  });

  it('attachments are persisted as names and modes only', async () => {
    const spec = specFor('s4');
    await svc.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'file' }, { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    const raw = readFileSync(join(dir, 'sandboxes', 's4.secrets.json'), 'utf8');
    expect(JSON.parse(raw)).toEqual([{ name: 'NPM_TOKEN', mode: 'file' }, { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]);
    expect(svc.getAttachments('s4')).toHaveLength(2);
  });

  it('refuses, naming the secret but never its value: unknown secret, proxy without network, proxy without the egress proxy', async () => {
    await expect(svc.beforeCreate(specFor('x'), ctxFor([{ name: 'MISSING', mode: 'file' }]))).rejects.toThrow(/MISSING is not set.*paddock secret set MISSING/);
    await expect(svc.beforeCreate(specFor('x', { network: 'none' }), ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]))).rejects.toThrow(/network "none"/);
    const noProxy = new SecretsService({ engine: engine as unknown as Engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') } });
    const err = await noProxy.beforeCreate(specFor('x'), ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }])).catch((e: Error) => e);
    expect(String(err)).toMatch(/need the egress proxy.*:file/);
    expect(String(err)).not.toContain(KEY);
    await expect(svc.beforeCreate(specFor('x'), ctxFor([{ name: 'lower', mode: 'file' }]))).rejects.toThrow(/Bad secret attachment/);
    await svc.set('PADDOCK_UID', 'global', 'nope-value', 'cli');
    await expect(svc.beforeCreate(specFor('x'), ctxFor([{ name: 'PADDOCK_UID', mode: 'env' }]))).rejects.toThrow(/set by Paddock itself/);
  });

  it('rotation: a new value reaches running sandboxes at once (proxy rule, files rewritten); env users are told to recreate', async () => {
    const a = specFor('rot-proxy');
    await svc.beforeCreate(a, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    engine.run(a);
    const b = specFor('rot-file');
    await svc.beforeCreate(b, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'file' }]));
    engine.run(b);
    const c = specFor('rot-env');
    await svc.beforeCreate(c, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'env' }]));
    engine.run(c);
    const stopped = specFor('rot-stopped');
    await svc.beforeCreate(stopped, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    engine.run(stopped, 'exited');
    engine.execs = [];

    const res = await svc.set('ANTHROPIC_API_KEY', 'global', NEW_KEY, 'cli');
    expect(res.rotated.sort()).toEqual(['rot-file', 'rot-proxy']);
    expect(res.recreateRequired).toEqual(['rot-env']);
    expect(injector.last('rot-proxy')).toEqual([{ id: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key', value: NEW_KEY }]);
    expect(injector.last('rot-stopped')).toBeUndefined();
    expect(engine.execs.map((e) => e.id)).toEqual(['id-rot-file']);
    expect(engine.execs[0]!.opts.env).toEqual([`PADDOCK_SECRET_0=${Buffer.from(NEW_KEY).toString('base64')}`]);

    await svc.remove('ANTHROPIC_API_KEY', 'global', 'cli');
    expect(injector.last('rot-proxy')).toEqual([]); // revoked at once
    expect(engine.execs.at(-1)!.opts.cmd.slice(-2)).toEqual(['1000', '1000']); // file set now empty: the file is deleted
  });

  it('stop and remove take the rules out of the proxy; remove forgets the attachments', async () => {
    const spec = specFor('gone');
    await svc.beforeCreate(spec, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    await svc.afterStart(infoFor(spec), 'id-gone');
    await svc.afterStop(infoFor(spec));
    expect(injector.last('gone')).toEqual([]);
    await svc.beforeRemove(infoFor(spec));
    expect(svc.getAttachments('gone')).toEqual([]);
    expect(readdirSync(join(dir, 'sandboxes'))).toEqual([]);
  });

  it('restore re-pushes the rules of running sandboxes', async () => {
    const spec = specFor('back');
    await svc.beforeCreate(spec, ctxFor([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    engine.run(spec);
    await svc.restore();
    expect(injector.last('back')).toEqual([{ id: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key', value: KEY }]);
  });

  it('setAttachments: file changes apply now, env/proxy changes need a recreate; unknown sandbox is 404', async () => {
    const spec = specFor('live');
    await svc.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'file' }]));
    engine.run(spec);
    engine.execs = [];
    const same = await svc.setAttachments('live', [{ name: 'NPM_TOKEN', mode: 'file' }], 'dashboard');
    expect(same.recreateRequired).toBe(false);
    expect(engine.execs).toHaveLength(1);
    const withProxy = await svc.setAttachments('live', [{ name: 'NPM_TOKEN', mode: 'file' }, { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }], 'dashboard');
    expect(withProxy.recreateRequired).toBe(true);
    await expect(svc.setAttachments('nope', [], 'cli')).rejects.toThrow(/no sandbox named nope/);
  });

  it('live update with a secrets field (once UpdateSandboxRequest has it): validated first, then applied', async () => {
    const spec = specFor('upd');
    await svc.beforeCreate(spec, ctxFor([]));
    engine.run(spec);
    const change = { secrets: [{ name: 'NPM_TOKEN', mode: 'file' }] } as never;
    await svc.beforeUpdate(infoFor(spec), change);
    await svc.afterUpdate(infoFor(spec), change, 'dashboard');
    expect(svc.getAttachments('upd')).toEqual([{ name: 'NPM_TOKEN', mode: 'file' }]);
    await expect(svc.beforeUpdate(infoFor(spec), { secrets: [{ name: 'NOPE', mode: 'file' }] } as never)).rejects.toThrow(/NOPE is not set/);
    await svc.beforeUpdate(infoFor(spec), {}); // no secrets field: nothing to check
  });

  it('audit records carry names and scopes, never values', async () => {
    const spec = specFor('aud');
    await svc.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'file' }]));
    await svc.afterStart(infoFor(spec), 'id-aud');
    const all = JSON.stringify(records);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(FILE_VALUE);
    expect(records.map((r) => r.action)).toEqual(['secret.set', 'secret.set', 'secret.attach', 'secret.use']);
    expect(records[0]!.details).toEqual({ name: 'ANTHROPIC_API_KEY', scope: 'global' });
  });

  it('with the real audit log: records on disk hold names and modes, never values', async () => {
    const auditDir = mkdtempSync(join(tmpdir(), 'paddock-secrets-audit-'));
    const audit = await AuditHooks.open(auditDir);
    const withAudit = new SecretsService({ engine: engine as unknown as Engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') }, injector, audit });
    await withAudit.set('NPM_TOKEN', 'global', NEW_KEY, 'cli');
    const spec = specFor('aud2');
    await withAudit.beforeCreate(spec, ctxFor([{ name: 'NPM_TOKEN', mode: 'env' }, { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]));
    await withAudit.afterStart(infoFor(spec), 'id-aud2');
    await withAudit.remove('NPM_TOKEN', 'global', 'cli');
    await audit.close();
    const text = readdirSync(auditDirOf(auditDir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    expect(text).toContain('secret.use');
    expect(text).toContain('NPM_TOKEN');
    for (const v of [KEY, NEW_KEY, FILE_VALUE]) expect(text).not.toContain(v);
  });

  it('masks stored values for the logger from the start, and new ones as they are set', async () => {
    expect(svc.masker.mask(`x ${KEY}`)).toBe('x [secret:ANTHROPIC_API_KEY]');
    const fresh = new SecretsService({ engine: engine as unknown as Engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') } });
    expect(fresh.masker.mask(FILE_VALUE)).toBe('[secret:NPM_TOKEN]');
  });

  it('shared login: mounts the agent volume where it keeps its login when SandboxSpec has volumes', async () => {
    svc.setSharedLogin('claude', true, 'cli');
    const spec = Object.assign(specFor('login'), { volumes: [] as unknown[] });
    await svc.beforeCreate(spec, ctxFor([]));
    expect(spec.volumes).toEqual([{ name: 'paddock-creds-claude', target: '/home/agent/.claude' }]);
    expect(spec.env.CLAUDE_CONFIG_DIR).toBe('/home/agent/.claude');
    expect(engine.volumesMade).toEqual([{ name: 'paddock-creds-claude', labels: { 'io.paddock.managed': 'true', 'io.paddock.kind': 'creds', 'io.paddock.agent': 'claude' } }]);
    // an agent whose login is not shared gets nothing extra
    const without = Object.assign(specFor('login2'), { agent: 'codex' });
    await svc.beforeCreate(without, ctxFor([]));
    expect(without.env).toEqual({});
    expect(without.volumes).toEqual([]);
    expect(() => svc.setSharedLogin('shell', true, 'cli')).toThrow(/does not know where shell keeps its login/);
  });
});
