/**
 * The egress proxy: HTTP forward + CONNECT for the sandboxes, a credential-adding reverse proxy,
 * and the control port paddockd pushes rules to. Runs inside the `paddock/egress` image with no
 * npm dependencies (only node:* and core/egress-rules), and in-process in unit tests.
 *
 * Each request is attributed to a sandbox by its source address (inside the sandbox's /28) and the
 * proxy address it arrived on; it then passes the name gate (rules), the proxy resolves the name
 * itself, every address passes the address gate, and the proxy connects to an address it checked.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import {
  compileRules, decideAddress, decideName, forcedDenial, formatIp, inPrefix, parseIp, splitHostPort, suggestedRule,
  type CompiledRule, type IpAddress, type Verdict,
} from '../../core/egress-rules.js';
import {
  checkSandboxConfig, DecisionKind, type CredentialRule, type DecisionRecord, type ProxyHealth, type ProxySandboxConfig,
} from './control-protocol.js';
import { DecisionLog } from './decision-log.js';
import { DnsResponder } from './dns-responder.js';
import { readSni } from './tls-sni.js';

export const UPSTREAM_CONNECT_TIMEOUT_MS = 10_000; // an upstream that takes longer is treated as down
export const CONTROL_BODY_LIMIT = 1 << 20; // a config with 512 rules and credentials is far below 1 MiB
export const DENIED_STATUS = 403;

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the proxy's own, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

export interface Listen {
  host: string;
  port: number;
}

export interface EgressProxyOptions {
  proxy: Listen;
  credential: Listen;
  control: Listen;
  /** UDP DNS for the sandboxes (REFUSED unless the sandbox is in open mode); omitted in unit tests. */
  dns?: Listen;
  token: string;
  /** Names → addresses that win over DNS (tests point names at their own containers). */
  resolveOverride?: Map<string, string[]>;
  /** Accept resolve-override changes over the control port (tests only). */
  testHooks?: boolean;
  /** Extra CA certificates (PEM) trusted for upstream TLS on the credential port (tests only). */
  extraCaPem?: string;
  /** Addresses never connected to whatever the rules say: the proxy's own, loopback, Paddock's pool. */
  hardDeny?: () => Array<{ net: IpAddress; prefix: number }>;
  print?: (line: string) => void;
}

interface SandboxEntry {
  config: ProxySandboxConfig;
  rules: CompiledRule[];
  forced: CompiledRule[];
  subnet: { net: IpAddress; prefix: number };
  proxyAddress: string;
}

class Denied extends Error {
  constructor(readonly verdict: Verdict, readonly address: string | null = null) {
    super(verdict.reason);
  }
}

function stripV4Mapped(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function parseCidr(text: string): { net: IpAddress; prefix: number } | null {
  const [ip, len] = text.split('/');
  const parsed = parseIp(ip ?? '');
  const prefix = Number(len);
  if (!parsed || !Number.isInteger(prefix)) return null;
  return { net: parsed, prefix };
}

export function parseResolveOverride(text: string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const pair of (text ?? '').split(',')) {
    const [name, addr] = pair.split('=').map((s) => s.trim());
    if (!name || !addr || !parseIp(addr)) continue;
    const key = name.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), addr]);
  }
  return map;
}

export class EgressProxy {
  readonly log: DecisionLog;
  readonly bootId = randomUUID();
  private readonly sandboxes = new Map<string, SandboxEntry>();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private override: Map<string, string[]>;
  private readonly ca: string[] | undefined;
  private dns: DnsResponder | null = null;
  /** The Docker host's own addresses (pushed by paddockd): refused unless an IP/CIDR rule names them. */
  private hostAddresses: IpAddress[] = [];

  constructor(private readonly opts: EgressProxyOptions) {
    this.log = new DecisionLog(opts.print);
    this.override = opts.resolveOverride ?? new Map();
    this.ca = opts.extraCaPem ? [...tls.rootCertificates, opts.extraCaPem] : undefined;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    const proxy = http.createServer((req, res) => void this.onForward(req, res));
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.onConnect(req, socket, head));
    const credential = http.createServer((req, res) => void this.onCredential(req, res));
    const control = http.createServer((req, res) => void this.onControl(req, res));
    for (const [server, at] of [[proxy, this.opts.proxy], [credential, this.opts.credential], [control, this.opts.control]] as const) {
      server.on('connection', (s: net.Socket) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      server.on('clientError', (_e, s: net.Socket) => s.destroy());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(at.port, at.host, () => resolve());
      });
      this.servers.push(server);
    }
    if (this.opts.dns) {
      this.dns = new DnsResponder({ ...this.opts.dns, modeOf: (source) => this.modeOfSource(source) });
      await this.dns.start();
    }
  }

  private modeOfSource(source: string): 'open' | 'closed' | null {
    const remote = parseIp(stripV4Mapped(source));
    if (!remote) return null;
    for (const e of this.sandboxes.values()) {
      if (inPrefix(remote, e.subnet.net, e.subnet.prefix)) return e.config.mode === 'open' ? 'open' : 'closed';
    }
    return null;
  }

  /** Ports actually bound (tests listen on port 0). */
  ports(): { proxy: number; credential: number; control: number } {
    const p = this.servers.map((s) => (s.address() as net.AddressInfo).port);
    return { proxy: p[0]!, credential: p[1]!, control: p[2]! };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
    await this.dns?.close();
    this.dns = null;
  }

  // ---- sandboxes --------------------------------------------------------------------------------

  setSandbox(config: ProxySandboxConfig): void {
    const subnet = parseCidr(config.subnet);
    if (!subnet) throw new Error(`bad subnet ${config.subnet}`);
    // Compiling again here means a bad rule fails the push, never a request.
    const forced = compileRules((config.forcedDeny ?? []).map((rule) => ({ action: 'deny' as const, rule })));
    this.sandboxes.set(config.name, { config, rules: compileRules(config.rules), forced, subnet, proxyAddress: config.proxyAddress });
  }

  removeSandbox(name: string): void {
    this.sandboxes.delete(name);
    this.log.forget(name);
  }

  private identify(socket: net.Socket): SandboxEntry | null {
    const remote = parseIp(stripV4Mapped(socket.remoteAddress));
    const local = stripV4Mapped(socket.localAddress);
    if (!remote) return null;
    for (const e of this.sandboxes.values()) {
      if (inPrefix(remote, e.subnet.net, e.subnet.prefix) && local === e.proxyAddress) return e;
    }
    return null;
  }

  // ---- decisions --------------------------------------------------------------------------------

  private async resolve(host: string): Promise<IpAddress[]> {
    const literal = parseIp(host);
    if (literal) return [literal];
    const forced = this.override.get(host);
    if (forced) return forced.map((a) => parseIp(a)!).filter(Boolean);
    const found = await lookup(host, { all: true, verbatim: true });
    return found.map((f) => parseIp(f.address)).filter((a): a is IpAddress => a !== null);
  }

  private hardDenied(addr: IpAddress): boolean {
    return (this.opts.hardDeny?.() ?? []).some((r) => inPrefix(addr, r.net, r.prefix));
  }

  /** Both gates; resolves to the checked addresses to try, or throws Denied. */
  private async check(e: SandboxEntry, host: string, port: number): Promise<{ verdict: Verdict; addresses: IpAddress[] }> {
    const forcedName = forcedDenial(e.forced, host, port);
    if (forcedName) throw new Denied(forcedName);
    const verdict = decideName(e.rules, host, port, e.config.mode);
    if (!verdict.allowed) throw new Denied(verdict);
    let addresses: IpAddress[];
    try {
      addresses = await this.resolve(host);
    } catch {
      throw new Denied({ allowed: false, rule: verdict.rule, reason: `${host} does not resolve (the proxy looked it up)` });
    }
    if (addresses.length === 0) throw new Denied({ allowed: false, rule: verdict.rule, reason: `${host} has no addresses` });
    const ok: IpAddress[] = [];
    let firstRefusal: { v: Verdict; a: string } | null = null;
    for (const a of addresses) {
      let v: Verdict = this.hardDenied(a)
        ? { allowed: false, rule: null, reason: `${formatIp(a)} belongs to Paddock itself (the proxy or a sandbox network)` }
        : (forcedDenial(e.forced, host, port, a) ?? decideAddress(e.rules, a, port));
      // Only a rule naming the exact address opens the host; a broad CIDR (say 172.16.0.0/12
      // for a LAN) must not hand over every service listening on the machine.
      const namedExactly = v.rule !== null && !v.rule.includes('/');
      if (v.allowed && !namedExactly && this.hostAddresses.some((h) => inPrefix(a, h, h.family === 4 ? 32 : 128))) {
        v = { allowed: false, rule: null, reason: `${formatIp(a)} is an address of the Docker host (refused unless an IP rule names exactly it)` };
      }
      if (v.allowed) ok.push(a);
      else firstRefusal ??= { v, a: formatIp(a) };
    }
    if (ok.length === 0) throw new Denied({ ...firstRefusal!.v, reason: `${host} resolves to ${firstRefusal!.v.reason}` }, firstRefusal!.a);
    return { verdict, addresses: ok };
  }

  private deniedBody(e: SandboxEntry | null, host: string, port: number, v: Verdict): string {
    if (!e) return 'Paddock egress proxy: this address is not a Paddock sandbox, so nothing is forwarded.\n';
    const name = e.config.name;
    const lines = [
      `Paddock egress proxy: ${host}:${port} denied for sandbox "${name}".`,
      `Reason: ${v.reason}${v.rule ? ` (rule: ${v.rule})` : ''}.`,
    ];
    if (v.reason.startsWith('denied by policy')) lines.push('Your Paddock policy forbids this host; see `paddock policy show`.');
    else if (e.config.mode === 'none') lines.push(`To give it network access: paddock network mode ${name} allowlist`);
    else if (v.rule) lines.push(`To change it: paddock network rm ${name} ${v.rule}   (then allow it: paddock network allow ${name} ${suggestedRule(host)})`);
    else lines.push(`To allow it: paddock network allow ${name} ${suggestedRule(host)}`);
    return lines.join('\n') + '\n';
  }

  private record(e: SandboxEntry | null, d: Omit<DecisionRecord, 'seq' | 'time' | 'sandbox'>): void {
    this.log.record({ sandbox: e?.config.name ?? '(unknown)', ...d });
  }

  private connectFirst(addresses: IpAddress[], port: number): Promise<{ socket: net.Socket; address: string }> {
    return new Promise((resolve, reject) => {
      const tryAt = (i: number, lastErr: Error | null): void => {
        const a = addresses[i];
        if (!a) return reject(lastErr ?? new Error('no address'));
        const address = formatIp(a);
        const s = net.connect({ host: address, port });
        const timer = setTimeout(() => s.destroy(new Error(`connect to ${address}:${port} timed out`)), UPSTREAM_CONNECT_TIMEOUT_MS);
        s.once('connect', () => {
          clearTimeout(timer);
          s.removeAllListeners('error');
          resolve({ socket: s, address });
        });
        s.once('error', (err) => {
          clearTimeout(timer);
          s.destroy();
          tryAt(i + 1, err);
        });
      };
      tryAt(0, null);
    });
  }

  // ---- CONNECT ----------------------------------------------------------------------------------

  private async onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    const started = Date.now();
    const e = this.identify(client);
    const target = splitHostPort(req.url ?? '', 443);
    client.on('error', () => client.destroy());
    const deny = (host: string, port: number, v: Verdict, address: string | null = null) => {
      const body = this.deniedBody(e, host, port, v);
      client.end(
        `HTTP/1.1 ${DENIED_STATUS} Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nX-Paddock-Egress: denied\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      this.record(e, { kind: DecisionKind.Connect, method: 'CONNECT', host, port, address, allowed: false, rule: v.rule, reason: v.reason, bytesUp: 0, bytesDown: 0, durationMs: Date.now() - started });
    };
    if (!e) return deny(target?.host ?? '?', target?.port ?? 0, { allowed: false, rule: null, reason: 'not a Paddock sandbox' });
    if (!target) return deny(req.url ?? '?', 0, { allowed: false, rule: null, reason: 'CONNECT needs host:port' });
    let checked;
    try {
      checked = await this.check(e, target.host, target.port);
    } catch (err) {
      if (err instanceof Denied) return deny(target.host, target.port, err.verdict, err.address);
      throw err;
    }
    let up: { socket: net.Socket; address: string };
    try {
      up = await this.connectFirst(checked.addresses, target.port);
    } catch (err) {
      const body = `Paddock egress proxy: ${target.host}:${target.port} is allowed but did not answer (${(err as Error).message}).\n`;
      client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      this.record(e, { kind: DecisionKind.Connect, method: 'CONNECT', host: target.host, port: target.port, address: null, allowed: true, rule: checked.verdict.rule, reason: `${checked.verdict.reason}; upstream unreachable`, bytesUp: 0, bytesDown: 0, durationMs: Date.now() - started });
      return;
    }
    const upstream = up.socket;
    this.sockets.add(upstream);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.pipe(client);
    let done = false;
    // Client → upstream waits for the TLS ClientHello: its server name must be the host that
    // was checked, or a tunnel to an allowed CDN address could front for any other site.
    let pending = head;
    const gate = (chunk?: Buffer) => {
      if (chunk) pending = Buffer.concat([pending, chunk]);
      const sni = parseIp(target.host) ? ({ kind: 'not-tls' } as const) : readSni(pending);
      if (sni.kind === 'incomplete') return;
      client.off('data', gate);
      if (sni.kind === 'sni' && sni.name !== target.host) {
        done = true;
        this.sockets.delete(upstream);
        upstream.destroy();
        client.destroy();
        const reason = `TLS server name ${sni.name} does not match the CONNECT host ${target.host}`;
        this.record(e, { kind: DecisionKind.Connect, method: 'CONNECT', host: target.host, port: target.port, address: up.address, allowed: false, rule: null, reason, bytesUp: 0, bytesDown: 0, durationMs: Date.now() - started });
        return;
      }
      if (pending.length) upstream.write(pending);
      client.pipe(upstream);
    };
    client.on('data', gate);
    gate();
    const finish = () => {
      if (done) return;
      done = true;
      this.sockets.delete(upstream);
      upstream.destroy();
      client.destroy();
      this.record(e, {
        kind: DecisionKind.Connect, method: 'CONNECT', host: target.host, port: target.port, address: up.address, allowed: true,
        rule: checked.verdict.rule, reason: checked.verdict.reason, bytesUp: upstream.bytesWritten, bytesDown: upstream.bytesRead,
        durationMs: Date.now() - started,
      });
    };
    upstream.on('error', finish);
    upstream.on('close', finish);
    client.on('close', finish);
  }

  // ---- plain HTTP forward ------------------------------------------------------------------------

  private async onForward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const e = this.identify(req.socket);
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '');
    } catch {
      url = null;
    }
    if (!url || url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Paddock egress proxy: send absolute http:// URLs here (HTTP_PROXY), or use CONNECT for https.\n');
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = url.port ? Number(url.port) : 80;
    const cred = e?.config.credentials.find((c) => c.host.toLowerCase() === host && (c.port ?? 80) === port) ?? null;
    await this.forward(e, req, res, { host, port, path: url.pathname + url.search, tls: false, cred, kind: DecisionKind.Http, started });
  }

  // ---- credential reverse proxy -----------------------------------------------------------------

  private async onCredential(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const e = this.identify(req.socket);
    const m = /^\/([^/?#]+)(\/[^]*)?$/.exec(req.url ?? '');
    const cred = m && e ? e.config.credentials.find((c) => c.id === m[1]) : undefined;
    if (!e || !m || !cred) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`Paddock egress proxy: no credential "${m?.[1] ?? ''}" for this sandbox. Paths look like /<provider>/<api path>.\n`);
      this.record(e, { kind: DecisionKind.Credential, method: req.method ?? 'GET', host: m?.[1] ?? '?', port: 0, address: null, allowed: false, rule: null, reason: 'unknown credential id', bytesUp: 0, bytesDown: 0, durationMs: Date.now() - started });
      return;
    }
    const rest = m[2] ?? '/';
    await this.forward(e, req, res, { host: cred.host.toLowerCase(), port: cred.port ?? 443, path: rest, tls: true, cred, kind: DecisionKind.Credential, started });
  }

  private async forward(
    e: SandboxEntry | null,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    t: { host: string; port: number; path: string; tls: boolean; cred: CredentialRule | null; kind: DecisionKind; started: number },
  ): Promise<void> {
    const base = { kind: t.kind, method: req.method ?? 'GET', host: t.host, port: t.port };
    if (!e) {
      const v = { allowed: false, rule: null, reason: 'not a Paddock sandbox' };
      res.writeHead(DENIED_STATUS, { 'content-type': 'text/plain', 'x-paddock-egress': 'denied' });
      res.end(this.deniedBody(null, t.host, t.port, v));
      this.record(null, { ...base, address: null, allowed: false, rule: null, reason: v.reason, bytesUp: 0, bytesDown: 0, durationMs: Date.now() - t.started });
      return;
    }
    let checked;
    try {
      checked = await this.check(e, t.host, t.port);
    } catch (err) {
      if (!(err instanceof Denied)) throw err;
      res.writeHead(DENIED_STATUS, { 'content-type': 'text/plain; charset=utf-8', 'x-paddock-egress': 'denied' });
      res.end(this.deniedBody(e, t.host, t.port, err.verdict));
      req.resume();
      this.record(e, { ...base, address: err.address, allowed: false, rule: err.verdict.rule, reason: err.verdict.reason, bytesUp: 0, bytesDown: 0, durationMs: Date.now() - t.started });
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const defaultPort = t.tls ? 443 : 80;
    headers.host = t.port === defaultPort ? t.host : `${t.host}:${t.port}`;
    if (t.cred) headers[t.cred.header.toLowerCase()] = t.cred.value;
    let bytesUp = 0;
    let bytesDown = 0;
    let address: string | null = null;
    let status: number | undefined;
    let recorded = false;
    const finish = (reason: string) => {
      if (recorded) return;
      recorded = true;
      this.record(e, { ...base, address, allowed: true, rule: checked.verdict.rule, reason, bytesUp, bytesDown, durationMs: Date.now() - t.started, ...(status !== undefined ? { status } : {}) });
    };
    let up: { socket: net.Socket; address: string };
    try {
      up = await this.connectFirst(checked.addresses, t.port);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Paddock egress proxy: ${t.host}:${t.port} is allowed but did not answer (${(err as Error).message}).\n`);
      finish(`${checked.verdict.reason}; upstream unreachable`);
      return;
    }
    address = up.address;
    const socket = t.tls ? tls.connect({ socket: up.socket, servername: parseIp(t.host) ? undefined : t.host, ...(this.ca ? { ca: this.ca } : {}) }) : up.socket;
    const options: http.RequestOptions = {
      method: req.method,
      path: t.path,
      headers,
      setHost: false,
      // No agent: with createConnection and no agent, Node uses exactly this socket (agent:false would not).
      createConnection: () => socket,
    };
    // The socket is already connected (and TLS-wrapped) to the checked address; HTTP/1.1 goes over it.
    const upReq = http.request(options, (upRes) => {
      status = upRes.statusCode;
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.on('data', (c: Buffer) => (bytesDown += c.length));
      upRes.pipe(res);
      upRes.on('end', () => finish(checked.verdict.reason));
      upRes.on('error', () => finish(`${checked.verdict.reason}; upstream reset`));
    });
    upReq.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`Paddock egress proxy: ${t.host} failed: ${err.message}\n`);
      } else res.destroy();
      finish(`${checked.verdict.reason}; upstream error: ${err.message}`);
    });
    res.on('close', () => {
      upReq.destroy();
      finish(checked.verdict.reason);
    });
    req.on('data', (c: Buffer) => (bytesUp += c.length));
    req.pipe(upReq);
  }

  // ---- control ---------------------------------------------------------------------------------

  private authorized(req: http.IncomingMessage): boolean {
    const got = Buffer.from(String(req.headers.authorization ?? ''));
    const want = Buffer.from(`Bearer ${this.opts.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > CONTROL_BODY_LIMIT) throw new Error('body too large');
      chunks.push(c);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  }

  private async onControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!this.authorized(req)) return send(401, { error: 'bad token' });
    const url = new URL(req.url ?? '/', 'http://control');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (req.method === 'GET' && url.pathname === '/v1/health') {
        const h: ProxyHealth = { bootId: this.bootId, sandboxes: [...this.sandboxes.keys()], testHooks: this.opts.testHooks === true };
        return send(200, h);
      }
      if (parts[0] === 'v1' && parts[1] === 'sandboxes' && parts[2] && parts.length === 3) {
        if (req.method === 'PUT') {
          const c = checkSandboxConfig(await this.body(req));
          if (typeof c === 'string') return send(400, { error: c });
          if (c.name !== parts[2]) return send(400, { error: 'name in path and body differ' });
          try {
            this.setSandbox(c);
          } catch (err) {
            return send(400, { error: (err as Error).message });
          }
          return send(200, { ok: true });
        }
        if (req.method === 'DELETE') {
          this.removeSandbox(parts[2]);
          return send(200, { ok: true });
        }
      }
      if (req.method === 'GET' && url.pathname === '/v1/stats') return send(200, this.log.stats());
      if (req.method === 'PUT' && url.pathname === '/v1/host-addresses') {
        const body = (await this.body(req)) as { addresses?: unknown };
        if (!Array.isArray(body?.addresses)) return send(400, { error: 'addresses must be a list' });
        this.hostAddresses = body.addresses.map((a) => parseIp(String(a))).filter((a): a is IpAddress => a !== null);
        return send(200, { ok: true, count: this.hostAddresses.length });
      }
      if (req.method === 'PUT' && url.pathname === '/v1/resolve-override') {
        if (!this.opts.testHooks) return send(403, { error: 'test hooks are off' });
        const body = (await this.body(req)) as Record<string, string[]>;
        this.override = new Map(Object.entries(body ?? {}).map(([k, v]) => [k.toLowerCase(), v.filter((a) => parseIp(a))]));
        return send(200, { ok: true });
      }
      if (req.method === 'GET' && url.pathname === '/v1/log') {
        const sandbox = url.searchParams.get('sandbox') ?? undefined;
        const since = Number(url.searchParams.get('since') ?? 0) || 0;
        const limit = Number(url.searchParams.get('limit') ?? 0) || undefined;
        const follow = url.searchParams.get('follow') === '1';
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const d of this.log.recent({ sandbox, since, limit })) res.write(JSON.stringify(d) + '\n');
        if (!follow) return void res.end();
        const stop = this.log.subscribe((d) => {
          if (!sandbox || d.sandbox === sandbox) res.write(JSON.stringify(d) + '\n');
        });
        res.on('close', stop);
        return;
      }
      send(404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      send(400, { error: (err as Error).message });
    }
  }
}

export { parseCidr };
