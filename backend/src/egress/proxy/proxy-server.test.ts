/**
 * The proxy in-process on loopback: the sandbox is 127.0.0.0/28 and the upstream a local server.
 * The container-level behaviour (networks, DNS, kill) is in ../egress.int.test.ts.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxySandboxConfig } from './control-protocol.js';
import { EgressProxy, parseResolveOverride } from './proxy-server.js';

const TOKEN = 'test-token';
let upstream: http.Server;
let upstreamPort: number;
let proxy: EgressProxy;
let ports: { proxy: number; credential: number; control: number };
const seen: http.IncomingHttpHeaders[] = [];

function config(over: Partial<ProxySandboxConfig> = {}): ProxySandboxConfig {
  return {
    name: 'sb1',
    subnet: '127.0.0.0/28',
    proxyAddress: '127.0.0.1',
    mode: 'allowlist',
    rules: [
      { action: 'allow', rule: 'a.test' },
      { action: 'allow', rule: 'meta.test' },
      { action: 'allow', rule: 'inject.test' },
      { action: 'allow', rule: '127.0.0.1' }, // the address gate refuses loopback unless a rule names it
    ],
    credentials: [{ id: 'prov', host: 'inject.test', port: 0, header: 'x-api-key', value: 'real-secret' }],
    ...over,
  };
}

function viaProxy(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: ports.proxy, path: url, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    r.on('error', reject);
    r.end();
  });
}

function connect(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(ports.proxy, '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('\r\n\r\n') && buf.startsWith('HTTP/1.1 200')) {
        s.destroy();
        resolve(buf);
      }
    });
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
}

function control(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: ports.control, path, method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text.split('\n')[0]!) : null }));
    });
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end(`hello from upstream ${req.headers.host} ${req.url}`);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
  proxy = new EgressProxy({
    proxy: { host: '127.0.0.1', port: 0 },
    credential: { host: '127.0.0.1', port: 0 },
    control: { host: '127.0.0.1', port: 0 },
    token: TOKEN,
    testHooks: true,
    resolveOverride: parseResolveOverride('a.test=127.0.0.1,evil-a.test=127.0.0.1,meta.test=169.254.169.254,inject.test=127.0.0.1'),
  });
  await proxy.start();
  ports = proxy.ports();
  const cfg = config();
  cfg.credentials[0]!.port = upstreamPort;
  proxy.setSandbox(cfg);
});

afterAll(async () => {
  await proxy.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

describe('EgressProxy', () => {
  it('forwards plain HTTP to an allowed host, preserving Host', async () => {
    const r = await viaProxy(`http://a.test:${upstreamPort}/x?y=1`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`hello from upstream a.test:${upstreamPort} /x?y=1`);
  });

  it('refuses a host with no rule, naming the command to allow it', async () => {
    const r = await viaProxy(`http://evil-a.test:${upstreamPort}/`);
    expect(r.status).toBe(403);
    expect(r.headers['x-paddock-egress']).toBe('denied');
    expect(r.body).toContain('evil-a.test is not in the allowlist');
    expect(r.body).toContain('paddock network allow sb1 evil-a.test');
  });

  it('refuses an allowed name that resolves to the metadata address, without connecting', async () => {
    const r = await viaProxy('http://meta.test/latest/meta-data/');
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/169\.254\.169\.254 is a metadata address/);
    const last = proxy.log.recent({ sandbox: 'sb1' }).at(-1)!;
    expect(last).toMatchObject({ allowed: false, host: 'meta.test', address: '169.254.169.254', bytesUp: 0, bytesDown: 0 });
  });

  it('tunnels CONNECT for allowed hosts and refuses others with 403', async () => {
    expect(await connect(`a.test:${upstreamPort}`)).toMatch(/^HTTP\/1.1 200/);
    const denied = await connect('evil-a.test:443');
    expect(denied).toMatch(/^HTTP\/1.1 403/);
    expect(denied).toContain('paddock network allow sb1 evil-a.test');
    expect(await connect('10.9.8.7:443')).toMatch(/raw IP address 10\.9\.8\.7/);
  });

  it('closes a tunnel whose TLS server name is not the CONNECT host (domain fronting)', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(ports.proxy, '127.0.0.1', () => s.write(`CONNECT a.test:${upstreamPort} HTTP/1.1\r\nHost: a.test\r\n\r\n`));
      s.once('data', () => {
        const t = tls.connect({ socket: s, servername: 'evil.test', rejectUnauthorized: false });
        t.on('error', () => resolve());
        t.on('close', () => resolve());
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const last = proxy.log.recent({ sandbox: 'sb1' }).at(-1)!;
    expect(last).toMatchObject({ allowed: false, host: 'a.test', reason: expect.stringMatching(/TLS server name evil\.test/) });
  });

  it('adds a credential only for its exact host', async () => {
    seen.length = 0;
    await viaProxy(`http://inject.test:${upstreamPort}/v1`, { 'x-api-key': 'placeholder' });
    await viaProxy(`http://a.test:${upstreamPort}/v1`, { 'x-api-key': 'placeholder' });
    expect(seen.map((h) => h['x-api-key'])).toEqual(['real-secret', 'placeholder']);
  });

  it('applies a rule change at once', async () => {
    proxy.setSandbox({ ...config(), rules: [{ action: 'allow', rule: '127.0.0.1' }] });
    expect((await viaProxy(`http://a.test:${upstreamPort}/`)).status).toBe(403);
    const cfg = config();
    cfg.credentials[0]!.port = upstreamPort;
    expect((await control('PUT', '/v1/sandboxes/sb1', cfg)).status).toBe(200);
    expect((await viaProxy(`http://a.test:${upstreamPort}/`)).status).toBe(200);
  });

  it('guards the control port with the token and validates pushes', async () => {
    expect((await control('GET', '/v1/health', undefined, 'wrong')).status).toBe(401);
    expect((await control('GET', '/v1/health')).json).toMatchObject({ sandboxes: ['sb1'], testHooks: true });
    expect((await control('PUT', '/v1/sandboxes/sb1', { ...config(), rules: [{ action: 'allow', rule: 'a..b' }] })).status).toBe(400);
    const stats = (await control('GET', '/v1/stats')).json as Record<string, { allowed: number; denied: number }>;
    expect(stats.sb1!.allowed).toBeGreaterThan(0);
    expect(stats.sb1!.denied).toBeGreaterThan(0);
  });

  it('lets policy denies win over an exact allow rule', async () => {
    const cfg = config();
    cfg.credentials[0]!.port = upstreamPort;
    proxy.setSandbox({ ...cfg, forcedDeny: ['*.test'] });
    const r = await viaProxy(`http://a.test:${upstreamPort}/`);
    expect(r.status).toBe(403);
    expect(r.body).toContain('denied by policy rule *.test');
    expect(r.body).toContain('paddock policy show');
    proxy.setSandbox(cfg);
  });

  it('forwards nothing for a source that is no sandbox', async () => {
    proxy.removeSandbox('sb1');
    const r = await viaProxy(`http://a.test:${upstreamPort}/`);
    expect(r.status).toBe(403);
    expect(r.body).toContain('not a Paddock sandbox');
  });
});
