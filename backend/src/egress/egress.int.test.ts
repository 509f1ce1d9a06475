/**
 * The egress proxy against the real engine. Only local traffic: upstreams are this test's own
 * containers (HTTP + HTTPS with a CA made here), reached through the proxy's resolution override.
 * Addresses outside the project (metadata, LAN) are only ever named, and the proxy must refuse
 * them without connecting. "Sandboxes" are built the way the sandbox service builds them: an
 * internal /28 network from Paddock's pool, the container at .3, the proxy at .2.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandboxImage } from '../../test/base-image.js';
import type { CreateSandboxRequest } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import { allocateSubnet, type SubnetPlan } from '../core/subnets.js';
import { DockerEngine } from '../engine/docker.js';
import type { ExecOutput } from '../engine/types.js';
import { EgressService } from './service.js';

const RUN = `eg${Date.now().toString(36)}`;
const TEST_LABELS = { 'io.paddock.test': RUN };
let SANDBOX_IMAGE = ''; // Paddock's base image: has curl, node, iproute2, getent
const BASE_IMAGE = process.env.PADDOCK_BASE_IMAGE ?? 'paddock/bootstrap:trixie';
const NETWORK_COUNT = 200; // the density target for sandbox networks
const LIVE_CHANGE_BUDGET_MS = 1000;
const DNS_FAIL_FAST_MS = 3000; // two lookups answered REFUSED by the proxy, plus exec overhead // "rule changes reach the proxy within a second"

const engine = new DockerEngine();
const stateDir = mkdtempSync(join(tmpdir(), 'paddock-egress-int-'));
const made = { containers: [] as string[], networks: [] as string[] };
let svc: EgressService;
let upstreamIp = '';
let outboundGateway = '';
let ca = '';
const proxyName = `paddock-egress-${RUN}`;
const plans = new Map<string, SubnetPlan>();

const UPSTREAM_SCRIPT = `
const http = require('http'), https = require('https');
const h = (req, res) => { res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ upstream: true, host: req.headers.host, url: req.url, headers: req.headers })); };
http.createServer(h).listen(80);
https.createServer({ key: process.env.KEY, cert: process.env.CERT }, h).listen(443);
`;

function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Paddock test CA']);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=secure.test']);
  const ext = 'subjectAltName=DNS:secure.test,DNS:a.test,DNS:*.a.test,DNS:b.test,DNS:inject.test';
  execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ext.cnf`], { cwd: dir });
  o(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'srv.pem'), 'utf8'), key: readFileSync(join(dir, 'srv.key'), 'utf8') };
}

async function usedSubnets(): Promise<string[]> {
  return (await engine.networks.list({})).flatMap((n) => n.subnets);
}

/** A sandbox the way the sandbox service makes one, with the egress hooks called around it. */
async function makeSandbox(short: string, allowHosts: string[]): Promise<string> {
  const name = `${RUN}-${short}`;
  const plan = allocateSubnet(await usedSubnets())!;
  plans.set(name, plan);
  const networkName = `paddock-net-${name}`;
  await engine.networks.create({ name: networkName, internal: true, labels: { ...TEST_LABELS, 'io.paddock.managed': 'true', 'io.paddock.kind': 'network', 'io.paddock.sandbox': name }, subnet: plan.subnet, gateway: plan.gateway });
  made.networks.push(networkName);
  const spec = {
    name, agent: 'shell', network: 'allowlist', networkName, allowHosts, env: {}, dns: null, extraLabels: TEST_LABELS,
  } as unknown as SandboxSpec;
  const ctx = { actor: 'api' as const, request: {} as CreateSandboxRequest, plan };
  await svc.beforeCreate(spec, ctx);
  const id = await engine.containers.create({
    name,
    Image: SANDBOX_IMAGE,
    Entrypoint: ['sleep', 'infinity'],
    Cmd: [],
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...TEST_LABELS, 'io.paddock.managed': 'true', 'io.paddock.kind': 'sandbox', 'io.paddock.sandbox': name },
    HostConfig: { NetworkMode: networkName, Dns: spec.dns, DnsSearch: [], CapDrop: ['ALL'], Init: true },
    NetworkingConfig: { EndpointsConfig: { [networkName]: { IPAMConfig: { IPv4Address: plan.sandbox } } } },
  });
  made.containers.push(name);
  await svc.afterCreate(spec, id, ctx);
  await engine.containers.start(id);
  await sh(name, `printf '%s' "$CA" > /tmp/ca.pem`, { CA: ca });
  return name;
}

async function sh(container: string, script: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const r: ExecOutput = await engine.containers.exec(container, { cmd: ['sh', '-c', script], env: Object.entries(env).map(([k, v]) => `${k}=${v}`) });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** curl through the proxy (env HTTP(S)_PROXY); prints the body then the status code. */
async function curl(container: string, url: string, extra = ''): Promise<{ code: number; status: number; body: string; err: string }> {
  const r = await sh(container, `curl -sS -m 8 --cacert /tmp/ca.pem ${extra} -w '\\n%{http_code}' '${url}'`);
  const lines = r.out.split('\n');
  const status = Number(lines.pop());
  return { code: r.code, status, body: lines.join('\n'), err: r.err };
}

let A = ''; // allows a.test, secure.test, inject.test and rebinding-test names
let B = ''; // allows *.a.test only

beforeAll(async () => {
  SANDBOX_IMAGE = await testSandboxImage();
  const certDir = mkdtempSync(join(tmpdir(), 'paddock-egress-ca-'));
  const certs = makeCerts(certDir);
  rmSync(certDir, { recursive: true, force: true });
  ca = certs.ca;
  svc = new EgressService({
    engine,
    log: { info: () => {}, warn: () => {}, error: (o) => console.error(o) },
    stateDir,
    settingsDir: join(stateDir, 'sandboxes'),
    extraLabels: TEST_LABELS,
    baseImage: BASE_IMAGE,
    containerName: proxyName,
    outboundNetwork: `paddock-egress-out-${RUN}`,
    test: { extraCaPem: certs.ca },
  });
  await svc.start();
  made.networks.push(`paddock-egress-out-${RUN}`);
  const upstreamName = `${RUN}-upstream`;
  await engine.containers.create({
    name: upstreamName,
    Image: SANDBOX_IMAGE,
    Entrypoint: ['node', '-e', UPSTREAM_SCRIPT],
    Cmd: [],
    Env: [`KEY=${certs.key}`, `CERT=${certs.cert}`],
    Labels: { ...TEST_LABELS, 'io.paddock.managed': 'true' },
    HostConfig: { NetworkMode: `paddock-egress-out-${RUN}` },
  });
  made.containers.push(upstreamName);
  await engine.containers.start(upstreamName);
  const up = await engine.containers.inspect(upstreamName);
  upstreamIp = up!.networks[`paddock-egress-out-${RUN}`]!.ipAddress;
  const outbound = await engine.networks.inspect(`paddock-egress-out-${RUN}`);
  outboundGateway = outbound!.subnets[0]!.replace(/\.0\/\d+$/, '.1');

  A = await makeSandbox('a', ['a.test', 'secure.test', 'inject.test', 'meta.test', 'lan.test', 'host.test', 'other.test', 'loop.test', upstreamIp]);
  B = await makeSandbox('b', ['*.a.test', upstreamIp, '@npm']);
  await svc.setResolveOverride({
    'a.test': [upstreamIp], 'sub.a.test': [upstreamIp], 'evil-a.test': [upstreamIp], 'b.test': [upstreamIp],
    'secure.test': [upstreamIp], 'inject.test': [upstreamIp],
    'meta.test': ['169.254.169.254'], // cloud metadata: must be refused without a packet sent
    'lan.test': ['192.168.1.1'], // someone's LAN router: likewise
    'host.test': [outboundGateway], // the Docker host's side of the bridge
    'other.test': [plans.get(B)!.sandbox], // another sandbox
    'loop.test': ['127.0.0.1'], // the proxy itself
  });
  // The upstream needs a moment to listen.
  for (let i = 0; i < 50 && (await curl(A, 'http://a.test/')).status !== 200; i++) await new Promise((r) => setTimeout(r, 200));
}, 900_000);

afterAll(async () => {
  await svc?.dispose();
  for (const c of await engine.containers.list({ 'io.paddock.test': RUN })) await engine.containers.remove(c.id, { force: true }).catch(() => {});
  await engine.containers.remove(proxyName, { force: true }).catch(() => {});
  for (const n of await engine.networks.list({ 'io.paddock.test': RUN })) await engine.networks.remove(n.id).catch(() => {});
  rmSync(stateDir, { recursive: true, force: true });
});

describe('egress proxy (real engine)', () => {
  it('lets an allowed host through over HTTP and HTTPS', async () => {
    const http = await curl(A, 'http://a.test/hello');
    expect(http.status).toBe(200);
    expect(JSON.parse(http.body)).toMatchObject({ upstream: true, host: 'a.test', url: '/hello' });
    const tls = await curl(A, 'https://secure.test/tls');
    expect(tls.status).toBe(200);
    expect(JSON.parse(tls.body)).toMatchObject({ host: 'secure.test', url: '/tls' });
  });

  it('refuses a host that is not allowed, saying how to allow it', async () => {
    const r = await curl(A, 'http://b.test/');
    expect(r.status).toBe(403);
    expect(r.body).toContain(`paddock network allow ${A} b.test`);
    const tls = await curl(A, 'https://b.test/');
    expect(tls.code).not.toBe(0);
    expect(tls.err).toMatch(/403/);
  });

  it('*.a.test matches subdomains only: not a.test, not evil-a.test', async () => {
    expect((await curl(B, 'http://sub.a.test/')).status).toBe(200);
    expect((await curl(B, 'https://sub.a.test/')).status).toBe(200);
    expect((await curl(B, 'http://a.test/')).status).toBe(403);
    expect((await curl(B, 'http://evil-a.test/')).status).toBe(403);
  });

  it('refuses raw IPs, and raw IPs have no route around the proxy', async () => {
    const viaProxy = await curl(A, `http://${plans.get(B)!.sandbox}/`);
    expect(viaProxy.status).toBe(403);
    const otherIp = outboundGateway;
    expect((await curl(B, `http://${otherIp}/`)).status).toBe(403);
    const direct = await curl(B, `http://${upstreamIp}/`, "--noproxy '*' --connect-timeout 3");
    expect(direct.code).not.toBe(0); // no route: the sandbox network is internal
  });

  it.each([
    ['meta.test', /metadata address/],
    ['lan.test', /private address/],
    ['host.test', /private address/],
    ['other.test', /belongs to Paddock itself|private address/],
    ['loop.test', /belongs to Paddock itself|loopback/],
  ])('refuses %s even though the name is allowed (DNS rebinding), without connecting', async (host, why) => {
    const r = await curl(A, `http://${host}/latest/meta-data/`);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(why);
    const log = await svc.recentLog(A, 50);
    const entry = log.filter((d) => d.host === host).at(-1)!;
    expect(entry).toMatchObject({ allowed: false, bytesUp: 0, bytesDown: 0 });
  });

  it('refuses the Docker host even when a broad CIDR rule covers its address', async () => {
    const subnet = (await engine.networks.inspect(`paddock-egress-out-${RUN}`))!.subnets[0]!;
    await svc.addRule(A, 'allow', subnet); // covers the upstream and the host's bridge address
    const r = await curl(A, 'http://host.test/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/address of the Docker host/);
    expect((await curl(A, 'http://a.test/')).status).toBe(200);
    await svc.removeRule(A, subnet);
  });

  it("cannot reach the proxy's control port, directly or through the proxy", async () => {
    const proxy = await engine.containers.inspect(proxyName);
    const controlIp = proxy!.networks[`paddock-egress-out-${RUN}`]!.ipAddress;
    const direct = await curl(A, `http://${controlIp}:3130/v1/health`, "--noproxy '*' --connect-timeout 3");
    expect(direct.code).not.toBe(0); // no route off the sandbox's /28
    const onOwnNet = await curl(A, `http://${plans.get(A)!.proxy}:3130/v1/health`, "--noproxy '*' --connect-timeout 3");
    expect(onOwnNet.code).not.toBe(0); // not listening on sandbox networks
    await svc.addRule(A, 'allow', controlIp); // even a rule naming it exactly does not open it
    const via = await curl(A, `http://${controlIp}:3130/v1/health`);
    expect(via.status).toBe(403);
    expect(via.body).toMatch(/belongs to Paddock itself/);
    await svc.removeRule(A, controlIp);
  });

  it('has no DNS out of the sandbox', async () => {
    const conf = await sh(A, 'cat /etc/resolv.conf');
    expect(conf.out).toMatch(/nameserver 127\.0\.0\.11/);
    const details = await engine.containers.inspect(A);
    expect(details).not.toBeNull();
    const t0 = Date.now();
    const names = await sh(A, 'getent hosts a.test; echo "rc=$?"; getent hosts paddock-dns-leak-canary.invalid; echo "rc=$?"');
    expect(names.out).toMatch(/^rc=2\nrc=2\n$/);
    expect(Date.now() - t0).toBeLessThan(DNS_FAIL_FAST_MS); // REFUSED at once: tools fail fast, never hang
    const node = await sh(A, `node -e "require('dns').resolve4('a.test',(e)=>{console.log(e?e.code:'resolved');})"`);
    expect(node.out.trim()).not.toBe('resolved');
  });

  it('applies a live rule change within a second', async () => {
    expect((await curl(B, 'http://b.test/')).status).toBe(403);
    const t0 = Date.now();
    await svc.addRule(B, 'allow', 'b.test'); // resolves once the proxy holds the new rules
    expect(Date.now() - t0).toBeLessThan(LIVE_CHANGE_BUDGET_MS);
    expect((await curl(B, 'http://b.test/')).status).toBe(200);
    await svc.addRule(B, 'deny', 'b.test');
    expect((await curl(B, 'http://b.test/')).status).toBe(403);
    await svc.removeRule(B, 'b.test');
    const view = await svc.view(B);
    expect(view.rules.map((x) => x.rule)).toEqual(['*.a.test', upstreamIp, 'registry.npmjs.org']);
    expect(view.rules.at(-1)!.source).toBe('group:npm');
    expect(view.counters.denied).toBeGreaterThan(0);
    expect(view.counters.allowed).toBeGreaterThan(0);
  });

  it('adds a credential for its exact host only, over the credential port', async () => {
    const plan = plans.get(A)!;
    await svc.setCredentials(A, [{ id: 'prov', host: 'inject.test', header: 'x-api-key', value: 'real-secret' }]);
    const r = await curl(A, `http://${plan.proxy}:3129/prov/v1/messages`, "--noproxy '*' -H 'x-api-key: placeholder'");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ host: 'inject.test', url: '/v1/messages', headers: { 'x-api-key': 'real-secret' } });
    const other = await curl(A, 'http://a.test/', "-H 'x-api-key: placeholder'");
    expect(JSON.parse(other.body).headers['x-api-key']).toBe('placeholder');
    await svc.setCredentials(A, []);
  });

  it('streams decisions to followers', async () => {
    const seen: string[] = [];
    const stop = svc.followLog(A, (d) => seen.push(`${d.host}:${d.allowed}`));
    await new Promise((r) => setTimeout(r, 300));
    await curl(A, 'http://a.test/');
    await curl(A, 'http://b.test/');
    for (let i = 0; i < 20 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(seen).toEqual(expect.arrayContaining(['a.test:true', 'b.test:false']));
  });

  it('mode none leaves only loopback; allowlist and open come back without a restart', async () => {
    await svc.setMode(B, 'none');
    const links = await sh(B, "ip -o link | awk -F': ' '{print $2}'");
    expect(links.out.trim().split('\n').map((l) => l.replace(/@.*/, ''))).toEqual(['lo']);
    await svc.setMode(B, 'allowlist');
    expect((await curl(B, 'http://sub.a.test/')).status).toBe(200);
    // The proxy's DNS answers only open-mode sandboxes; the upstream's container name is a
    // local name the proxy can resolve, so no lookup leaves the machine.
    const lookup = `getent hosts ${RUN}-upstream >/dev/null; echo rc=$?`;
    expect((await sh(B, lookup)).out.trim()).toBe('rc=2');
    await svc.setMode(B, 'open');
    expect(Object.keys((await engine.containers.inspect(B))!.networks)).toContain(`paddock-open-${B}`);
    expect((await sh(B, lookup)).out.trim()).toBe('rc=0');
    await svc.setMode(B, 'allowlist');
    expect(Object.keys((await engine.containers.inspect(B))!.networks)).not.toContain(`paddock-open-${B}`);
    expect(await engine.networks.inspect(`paddock-open-${B}`)).toBeNull();
  });

  it('proxy down means no egress, and a restarted proxy gets its rules back', async () => {
    await engine.containers.stop(proxyName, 1);
    const r = await curl(A, 'http://a.test/', '--connect-timeout 3');
    expect(r.code).not.toBe(0);
    expect(r.status).toBe(0);
    const direct = await curl(A, `http://${upstreamIp}/`, "--noproxy '*' --connect-timeout 3");
    expect(direct.code).not.toBe(0);
    await engine.containers.start(proxyName);
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 250));
      status = (await curl(A, 'http://a.test/', '--connect-timeout 2')).status;
    }
    expect(status).toBe(200); // re-pushed by the health loop (the resolve override is the only thing lost)
  });

  it(`creates ${NETWORK_COUNT} sandbox networks from Paddock's pool and removes them`, async () => {
    const used = await usedSubnets();
    const names: string[] = [];
    const BATCH = 10; // parallel creates; the engine serializes network allocation anyway
    for (let i = 0; i < NETWORK_COUNT; i += BATCH) {
      const batch: Array<Promise<unknown>> = [];
      for (let j = i; j < Math.min(i + BATCH, NETWORK_COUNT); j++) {
        const name = `paddock-net-${RUN}-n${j}`;
        names.push(name);
        // Other test runs may allocate from the same pool at the same time: on an overlap, take the next free block.
        const create = async (attempt: number): Promise<void> => {
          const plan = allocateSubnet(used)!;
          used.push(plan.subnet);
          try {
            await engine.networks.create({ name, internal: true, labels: { ...TEST_LABELS, 'io.paddock.managed': 'true', 'io.paddock.kind': 'network' }, subnet: plan.subnet, gateway: plan.gateway });
          } catch (err) {
            if (attempt < 5 && /overlap/i.test(String(err))) return create(attempt + 1);
            throw err;
          }
        };
        batch.push(create(0));
      }
      await Promise.all(batch);
    }
    const listed = (await engine.networks.list({ 'io.paddock.test': RUN })).filter((n) => n.name.startsWith(`paddock-net-${RUN}-n`));
    expect(listed).toHaveLength(NETWORK_COUNT);
    expect(listed.every((n) => n.internal)).toBe(true);
    for (let i = 0; i < names.length; i += BATCH) await Promise.all(names.slice(i, i + BATCH).map((n) => engine.networks.remove(n)));
    expect((await engine.networks.list({ 'io.paddock.test': RUN })).filter((n) => n.name.startsWith(`paddock-net-${RUN}-n`))).toHaveLength(0);
  });

  it('a restarted paddockd reattaches and re-pushes from its settings files', async () => {
    await svc.dispose();
    svc = new EgressService({
      engine, log: { info: () => {}, warn: () => {}, error: () => {} }, stateDir, settingsDir: join(stateDir, 'sandboxes'),
      extraLabels: TEST_LABELS, baseImage: BASE_IMAGE, containerName: proxyName, outboundNetwork: `paddock-egress-out-${RUN}`,
      test: { extraCaPem: ca },
    });
    await svc.start();
    expect((await svc.view(B)).rules.map((r) => r.rule)).toContain('*.a.test');
    expect((await curl(B, 'http://sub.a.test/')).status).toBe(200);
    expect((await curl(B, 'http://b.test/')).status).toBe(403);
  });

  it('releases everything on removal', async () => {
    await svc.beforeRemove({ name: B } as never);
    expect(svc.has(B)).toBe(false);
    const proxy = await engine.containers.inspect(proxyName);
    expect(Object.keys(proxy!.networks)).not.toContain(`paddock-net-${B}`);
  });
});
