/**
 * Proxy mode end to end through the real egress proxy program (in-process on loopback, pushed
 * over its real control port), with fake provider upstreams over TLS: the real key reaches its
 * provider's host in the right header, and only there; every other request carries the
 * placeholder. The container-level path (sandbox → proxy container) needs paddockd's egress
 * module, see proxy-injection.int.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateSandboxRequest, SandboxInfo } from '../core/protocol.js';
import { buildContainerCreate, sandboxLabels, type SandboxSpec } from '../core/spec.js';
import type { ProxySandboxConfig } from '../egress/proxy/control-protocol.js';
import { EgressProxy, parseResolveOverride } from '../egress/proxy/proxy-server.js';
import type { ContainerSummary, Engine } from '../engine/types.js';
import type { CreateContext } from '../sandboxes/hooks.js';
import { credentialRuleOf, type CredentialInjector, type InjectionRule } from './injector.js';
import { maskingLogHooks, SecretMasker } from './mask.js';
import { SecretsService } from './service.js';

const TOKEN = 'control-token-for-tests';
const ANTHROPIC_KEY = 'sk-ant-api03-REAL-ANTHROPIC-KEY-000111222';
const ANTHROPIC_ROTATED = 'sk-ant-api03-ROTATED-ANTHROPIC-KEY-333444';
const OPENAI_KEY = 'sk-proj-REAL-OPENAI-KEY-555666777';
const GITHUB_KEY = 'ghp_REALGITHUBTOKEN888999000';

interface Seen {
  host: string | undefined;
  path: string | undefined;
  headers: http.IncomingHttpHeaders;
}

let tmp: string;
let provider: https.Server; // every provider host resolves here; Host/SNI tell them apart
let other: http.Server; // a host that is no provider
let providerPort: number;
let otherPort: number;
let proxy: EgressProxy;
let ports: { proxy: number; credential: number; control: number };
const seenProvider: Seen[] = [];
const seenOther: Seen[] = [];
const logLines: string[] = [];
const running: ContainerSummary[] = []; // what the engine reports: the sandbox, once "started"
let svc: SecretsService;
let spec: SandboxSpec;

/** The injector paddockd's egress module will be: fold the rules into the sandbox's config and PUT it to the control port. */
class ControlPortInjector implements CredentialInjector {
  async setInjections(sandbox: string, rules: InjectionRule[]): Promise<void> {
    const config: ProxySandboxConfig = {
      name: sandbox,
      subnet: '127.0.0.0/28',
      proxyAddress: '127.0.0.1',
      mode: 'allowlist',
      rules: ['api.anthropic.com', 'api.openai.com', 'api.github.com', 'other.test', '127.0.0.1'].map((rule) => ({ action: 'allow' as const, rule })),
      // Fake upstreams listen on a random port instead of 443.
      credentials: rules.map((r) => ({ ...credentialRuleOf(r), port: providerPort })),
    };
    const status = await request({ port: ports.control, method: 'PUT', path: `/v1/sandboxes/${sandbox}`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, JSON.stringify(config));
    if (status.status !== 200) throw new Error(`control port answered ${status.status}: ${status.body}`);
  }
}

function request(opts: http.RequestOptions, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', ...opts }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** What an agent in the sandbox does: use its env (placeholder key + base URL). */
function agentCall(baseUrl: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl.replace(':3129', `:${ports.credential}`) + path);
  return request({ port: Number(url.port), path: url.pathname, method: 'POST', headers });
}

function specFor(name: string): SandboxSpec {
  return {
    name, agent: 'claude', workspace: '/w', image: 'img', isolation: 'container', runtime: 'runc', network: 'allowlist', networkName: 'n',
    allowHosts: [], mounts: [], cpus: 1, memoryBytes: 1 << 30, pids: 100, autonomy: true, uid: 1000, gid: 1000, agentArgs: [], agentArgv: [],
    env: {}, homeVolume: 'h', createdAt: '2026-01-01T00:00:00Z', extraLabels: {}, dns: null, tmpfs: {}, volumes: [],
  };
}

function infoOf(s: SandboxSpec): SandboxInfo {
  return {
    name: s.name, id: 'id', agent: s.agent, workspace: s.workspace, state: 'running', agentState: 'running', agentExitCode: null, isolation: s.isolation,
    network: s.network, allowHosts: [], image: s.image, createdAt: s.createdAt, mounts: [], resources: { cpus: 1, memoryBytes: 1 << 30, pids: 100 },
    autonomy: true, uid: s.uid, gid: s.gid, agentArgs: [],
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'paddock-proxy-e2e-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=fake-provider',
    '-addext', 'subjectAltName=DNS:api.anthropic.com,DNS:api.openai.com,DNS:api.github.com',
    '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'),
  ], { stdio: 'ignore' });
  const cert = readFileSync(join(tmp, 'cert.pem'), 'utf8');
  provider = https.createServer({ key: readFileSync(join(tmp, 'key.pem')), cert }, (req, res) => {
    seenProvider.push({ host: req.headers.host, path: req.url, headers: req.headers });
    res.end('{"ok":true}');
  });
  other = http.createServer((req, res) => {
    seenOther.push({ host: req.headers.host, path: req.url, headers: req.headers });
    res.end('other');
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  providerPort = (provider.address() as net.AddressInfo).port;
  otherPort = (other.address() as net.AddressInfo).port;

  proxy = new EgressProxy({
    proxy: { host: '127.0.0.1', port: 0 },
    credential: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    token: TOKEN,
    resolveOverride: parseResolveOverride('api.anthropic.com=127.0.0.1,api.openai.com=127.0.0.1,api.github.com=127.0.0.1,other.test=127.0.0.1'),
    extraCaPem: cert,
    print: () => undefined,
  });
  await proxy.start();
  ports = proxy.ports();

  const masker = new SecretMasker();
  const sink = new Writable({ write(chunk, _e, cb) { logLines.push(String(chunk)); cb(); } });
  svc = new SecretsService({
    engine: { containers: { list: async () => running } } as unknown as Engine,
    paths: { stateDir: join(tmp, 'state'), settingsDir: join(tmp, 'state', 'sandboxes') },
    injector: new ControlPortInjector(),
    masker,
    log: pino({ hooks: maskingLogHooks(masker) }, sink),
  });
  await svc.set('ANTHROPIC_API_KEY', 'global', ANTHROPIC_KEY, 'cli');
  await svc.set('OPENAI_API_KEY', 'agent:claude', OPENAI_KEY, 'cli');
  await svc.set('GITHUB_TOKEN', 'global', GITHUB_KEY, 'cli');

  spec = specFor('e2e');
  const ctx: CreateContext = {
    actor: 'cli',
    request: {
      agent: 'claude', workspace: '/w',
      secrets: [
        { name: 'ANTHROPIC_API_KEY', mode: 'proxy' },
        { name: 'OPENAI_API_KEY', mode: 'proxy' },
        { name: 'GITHUB_TOKEN', mode: 'proxy', host: 'api.github.com', header: 'Authorization', prefix: 'token ' },
      ],
    } as unknown as CreateSandboxRequest,
    plan: { subnet: '127.0.0.0/28', gateway: '127.0.0.1', proxy: '127.0.0.1', sandbox: '127.0.0.2' },
  };
  await svc.beforeCreate(spec, ctx);
  running.push({ id: 'id', name: spec.name, state: 'running', labels: sandboxLabels(spec), image: spec.image, createdAt: spec.createdAt });
  await svc.afterStart(infoOf(spec), 'id');
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (provider ? provider.close(() => r()) : r()));
  await new Promise<void>((r) => (other ? other.close(() => r()) : r()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('proxy-mode secrets through the egress proxy', () => {
  it('the sandbox holds placeholders and proxy base URLs only', () => {
    const body = JSON.stringify(buildContainerCreate(spec));
    for (const k of [ANTHROPIC_KEY, OPENAI_KEY, GITHUB_KEY]) expect(body).not.toContain(k);
    expect(spec.env.ANTHROPIC_API_KEY).toMatch(/^paddock-placeholder-/);
    expect(spec.env.OPENAI_API_KEY).toMatch(/^paddock-placeholder-/);
    expect(spec.env.GITHUB_TOKEN).toMatch(/^paddock-placeholder-/);
    expect(spec.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3129/anthropic');
    expect(spec.env.OPENAI_BASE_URL).toBe('http://127.0.0.1:3129/openai/v1');
    expect(spec.env.GITHUB_TOKEN_BASE_URL).toBe('http://127.0.0.1:3129/s-github_token');
  });

  it('each real key arrives in its provider header, at its provider host only', async () => {
    seenProvider.length = 0;
    const a = await agentCall(spec.env.ANTHROPIC_BASE_URL!, '/v1/messages', { 'x-api-key': spec.env.ANTHROPIC_API_KEY! });
    const o = await agentCall(spec.env.OPENAI_BASE_URL!, '/chat/completions', { authorization: `Bearer ${spec.env.OPENAI_API_KEY!}` });
    const g = await agentCall(spec.env.GITHUB_TOKEN_BASE_URL!, '/user', { authorization: `token ${spec.env.GITHUB_TOKEN!}` });
    expect([a.status, o.status, g.status]).toEqual([200, 200, 200]);
    expect(seenProvider.map((s) => [s.host?.replace(/:\d+$/, ''), s.path])).toEqual([
      ['api.anthropic.com', '/v1/messages'], ['api.openai.com', '/v1/chat/completions'], ['api.github.com', '/user'],
    ]);
    expect(seenProvider[0]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(seenProvider[1]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(seenProvider[2]!.headers.authorization).toBe(`token ${GITHUB_KEY}`);
    // No key leaks into another provider's request.
    expect(JSON.stringify(seenProvider[0]!.headers)).not.toMatch(new RegExp(`${OPENAI_KEY}|${GITHUB_KEY}`));
    expect(JSON.stringify(seenProvider[1]!.headers)).not.toMatch(new RegExp(`${ANTHROPIC_KEY}|${GITHUB_KEY}`));
    expect(JSON.stringify(seenProvider[2]!.headers)).not.toMatch(new RegExp(`${ANTHROPIC_KEY}|${OPENAI_KEY}`));
  });

  it('a request to a non-provider host carries only the placeholder', async () => {
    seenOther.length = 0;
    const placeholder = spec.env.ANTHROPIC_API_KEY!;
    const r = await request({ port: ports.proxy, path: `http://other.test:${otherPort}/collect`, headers: { 'x-api-key': placeholder, authorization: `Bearer ${spec.env.OPENAI_API_KEY!}` } });
    expect(r.status).toBe(200);
    expect(seenOther).toHaveLength(1);
    expect(seenOther[0]!.headers['x-api-key']).toBe(placeholder);
    expect(seenOther[0]!.headers.authorization).toBe(`Bearer ${spec.env.OPENAI_API_KEY!}`);
    expect(JSON.stringify(seenOther)).not.toMatch(new RegExp(`${ANTHROPIC_KEY}|${OPENAI_KEY}|${GITHUB_KEY}`));
  });

  it('a route for a secret that is not attached gets nothing', async () => {
    seenProvider.length = 0;
    const r = await agentCall('http://127.0.0.1:3129/gemini', '/v1beta/models', {});
    expect(r.status).toBe(404);
    expect(seenProvider).toHaveLength(0);
  });

  it('rotation reaches the proxy at once', async () => {
    const res = await svc.set('ANTHROPIC_API_KEY', 'global', ANTHROPIC_ROTATED, 'cli');
    expect(res.rotated).toEqual(['e2e']);
    seenProvider.length = 0;
    await agentCall(spec.env.ANTHROPIC_BASE_URL!, '/v1/messages', { 'x-api-key': spec.env.ANTHROPIC_API_KEY! });
    expect(seenProvider[0]!.headers['x-api-key']).toBe(ANTHROPIC_ROTATED);
  });

  it('removing the sandbox takes its credentials out of the proxy', async () => {
    await svc.beforeRemove(infoOf(spec));
    seenProvider.length = 0;
    const r = await agentCall(spec.env.ANTHROPIC_BASE_URL!, '/v1/messages', { 'x-api-key': spec.env.ANTHROPIC_API_KEY! });
    expect(r.status).toBe(404);
    expect(seenProvider).toHaveLength(0);
  });

  it("paddockd's log never holds a key", () => {
    (svc as unknown as { log: pino.Logger }).log.info({ debug: ANTHROPIC_ROTATED }, `oops ${OPENAI_KEY}`);
    const all = logLines.join('');
    for (const k of [ANTHROPIC_KEY, ANTHROPIC_ROTATED, OPENAI_KEY, GITHUB_KEY]) expect(all).not.toContain(k);
    expect(all).toContain('[secret:OPENAI_API_KEY]');
  });
});
