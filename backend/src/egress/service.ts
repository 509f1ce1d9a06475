/**
 * EgressService: owns the egress proxy container and every sandbox's egress settings.
 *
 * - `start()` builds/ensures `paddock/egress:<hash>`, the outbound network and the `paddock-egress`
 *   container, reattaches the proxy to every sandbox network and pushes every sandbox's rules.
 * - As SandboxHooks it gives new sandboxes their proxy env and closed DNS, attaches the proxy at
 *   the plan's .2 address, and releases everything on removal.
 * - Mode and rule changes persist to `<settingsDir>/<name>.egress.json` and reach the proxy over
 *   its control port at once (no restarts); a health loop re-pushes after a proxy restart.
 *
 * The proxy being down means no egress: sandbox networks are internal, the proxy is their only exit.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Actor } from '../api/context.js';
import { BUILTIN_AGENTS, HOST_GROUPS } from '../core/agents.js';
import { canonicalRule, parseRule, type EgressRule, type RuleAction } from '../core/egress-rules.js';
import { ErrorCode, PaddockError, isPaddockError } from '../core/errors.js';
import { Label } from '../core/labels.js';
import type { NetworkMode, SandboxInfo, UpdateSandboxRequest } from '../core/protocol.js';
import { networkNameFor, type SandboxSpec } from '../core/spec.js';
import { allocateSubnet, DEFAULT_SUBNET_POOL, planFor } from '../core/subnets.js';
import type { Engine } from '../engine/types.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { ControlClient } from './control-client.js';
import { ownContainerId } from './self-container.js';
import { ensureEgressImage } from './image.js';
import { CONTROL_PORT, CREDENTIAL_PORT, PROXY_PORT, type CredentialRule, type DecisionRecord, type ProxySandboxConfig, type SandboxCounters } from './proxy/control-protocol.js';
import { EgressSettingsStore, type EgressSettings, type StoredRule } from './settings.js';

export const EGRESS_CONTAINER = 'paddock-egress';
export const EGRESS_OUTBOUND_NETWORK = 'paddock-egress-out';
export const HEALTH_INTERVAL_MS = 1000; // a restarted proxy gets its rules back within about a second
export const PROXY_MEMORY_BYTES = 256 * 1024 ** 2; // node + a few thousand tunnels; a leak cannot eat the host
export const PROXY_PIDS = 128; // one node process; bounds a runaway
export const PROXY_READY_TIMEOUT_MS = 30_000; // node starts in well under a second; the image build is separate
export const LOG_RECENT_DEFAULT = 200; // `paddock network log` without --follow shows this many lines
export const NO_PROXY = 'localhost,127.0.0.1,::1';
const OPEN_ALLOCATION_RETRIES = 5; // concurrent allocations from the pool rarely collide more than once

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface EgressServiceOptions {
  engine: Engine;
  log: Logger;
  /** `<stateDir>`: holds egress/token. */
  stateDir: string;
  /** `<stateDir>/sandboxes`: holds `<name>.egress.json`. */
  settingsDir: string;
  extraLabels: Record<string, string>;
  /** BASE_IMAGE for images/egress (e.g. the locally bootstrapped paddock/bootstrap:trixie). */
  baseImage?: string;
  containerName?: string;
  outboundNetwork?: string;
  subnetPool?: string;
  onProgress?: (line: string) => void;
  /**
   * The policy module: allow rules are checked against its forced denies before they are saved,
   * and `deniedHosts` (when given) go to the proxy as denies that win over every rule and mode.
   */
  policy?: { checkAllowHosts(actor: Actor, sandbox: string, hosts: readonly string[]): void; deniedHosts?(): string[] };
  /** The host's own addresses; default: this process's interfaces (paddockd runs on the host). */
  hostAddresses?: () => string[];
  /** Tests only: name overrides and a CA for upstream TLS, passed to the proxy container. */
  test?: { resolveOverride?: Record<string, string[]>; extraCaPem?: string };
}

export interface NetworkRuleView extends StoredRule {}

export interface NetworkView {
  name: string;
  mode: NetworkMode;
  rules: NetworkRuleView[];
  presets: { agent: string[]; groups: Record<string, readonly string[]> };
  counters: SandboxCounters;
  proxy: { address: string; httpProxy: string; credentialBase: string; running: boolean };
}

const EMPTY_COUNTERS: SandboxCounters = { allowed: 0, denied: 0, bytesUp: 0, bytesDown: 0, hosts: {} };

function openNetworkName(name: string): string {
  return `paddock-open-${name}`;
}

function agentHosts(agent: string): string[] {
  return BUILTIN_AGENTS.find((a) => a.name === agent)?.hosts ?? [];
}

function notFound(name: string): PaddockError {
  return new PaddockError(ErrorCode.NotFound, `No egress settings for sandbox "${name}". Check the name with \`paddock ls\`.`);
}

export class EgressService implements SandboxHooks {
  private readonly store: EgressSettingsStore;
  private readonly credentials = new Map<string, CredentialRule[]>();
  private readonly listeners = new Set<(d: DecisionRecord) => void>();
  private readonly containerName: string;
  private readonly outboundNetwork: string;
  private readonly pool: string;
  private control: ControlClient | null = null;
  private controlUrl: string | null = null;
  private stopFollow: (() => void) | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private lastBootId: string | null = null;
  private readonly dirty = new Set<string>();
  private openAllocation: Promise<unknown> = Promise.resolve();
  private resolveOverride: Record<string, string[]> | null = null;
  private pushedHostAddresses = '';
  private ready: Promise<void> | null = null;

  constructor(private readonly opts: EgressServiceOptions) {
    this.store = new EgressSettingsStore(opts.settingsDir);
    this.containerName = opts.containerName ?? EGRESS_CONTAINER;
    this.outboundNetwork = opts.outboundNetwork ?? EGRESS_OUTBOUND_NETWORK;
    this.pool = opts.subnetPool ?? DEFAULT_SUBNET_POOL;
  }

  private labels(kind: 'egress' | 'network', sandbox?: string): Record<string, string> {
    return { ...this.opts.extraLabels, [Label.Managed]: 'true', [Label.Kind]: kind, ...(sandbox ? { [Label.Sandbox]: sandbox } : {}) };
  }

  // ---- proxy lifecycle -------------------------------------------------------------------------

  private token(): string {
    const dir = join(this.opts.stateDir, 'egress');
    const file = join(dir, 'token');
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const t = randomBytes(32).toString('hex');
      writeFileSync(file, t, { mode: 0o600 });
      return t;
    }
  }

  private baseImage(): Promise<string> {
    if (this.opts.baseImage) return Promise.resolve(this.opts.baseImage);
    if (process.env.PADDOCK_BASE_IMAGE) return Promise.resolve(process.env.PADDOCK_BASE_IMAGE);
    return (async () => {
      for (const candidate of ['debian:trixie-slim', 'paddock/bootstrap:trixie']) {
        if (await this.opts.engine.images.exists(candidate)) return candidate;
      }
      return 'debian:trixie-slim'; // the engine pulls it during the build
    })();
  }

  /**
   * Build/ensure the image, network and container; reattach and re-push every sandbox. Creates
   * that arrive meanwhile (the first image build takes a minute) wait for it in afterCreate.
   */
  start(): Promise<void> {
    this.ready = this.startOnce();
    this.ready.catch((err: unknown) => this.opts.log.error({ err: String(err) }, 'the egress proxy did not start; sandboxes have no egress'));
    return this.ready;
  }

  private async whenReady(): Promise<void> {
    if (!this.ready) throw new PaddockError(ErrorCode.Internal, 'The egress module was not started (EgressService.start). Restart paddockd.');
    try {
      await this.ready;
    } catch (err) {
      throw new PaddockError(ErrorCode.EngineUnavailable, `The egress proxy could not start, so a sandbox would have no way out: ${(err as Error).message}`);
    }
  }

  private async startOnce(): Promise<void> {
    const { engine } = this.opts;
    const token = this.token();
    const image = await ensureEgressImage(engine, { baseImage: await this.baseImage(), labels: this.opts.extraLabels, onProgress: this.opts.onProgress });
    let outbound = await engine.networks.inspect(this.outboundNetwork);
    if (!outbound) {
      await engine.networks.create({ name: this.outboundNetwork, internal: false, labels: this.labels('network') });
      outbound = await engine.networks.inspect(this.outboundNetwork);
    }
    await this.joinOutboundIfContained();
    const controlCidr = outbound?.subnets[0];
    if (!controlCidr) throw new PaddockError(ErrorCode.Engine, `The engine gave network ${this.outboundNetwork} no IPv4 subnet; remove it (docker network rm ${this.outboundNetwork}) and restart paddockd.`);
    const test = this.opts.test;
    const env = Object.entries({
      PADDOCK_EGRESS_TOKEN: token,
      PADDOCK_EGRESS_CONTROL_CIDR: controlCidr,
      PADDOCK_EGRESS_HARD_DENY: this.pool,
      ...(test ? { PADDOCK_EGRESS_TEST_HOOKS: '1' } : {}),
      ...(test?.resolveOverride ? { PADDOCK_EGRESS_RESOLVE_OVERRIDE: Object.entries(test.resolveOverride).flatMap(([n, as]) => as.map((a) => `${n}=${a}`)).join(',') } : {}),
      ...(test?.extraCaPem ? { PADDOCK_EGRESS_EXTRA_CA_PEM: test.extraCaPem } : {}),
    }).map(([k, v]) => `${k}=${v}`);
    let c = await engine.containers.inspect(this.containerName);
    if (c && (c.image !== image || !env.every((e) => c!.env.includes(e)))) {
      // New program, new token (state dir reset) or a recreated outbound network: start afresh.
      this.opts.log.info({ old: c.image, image }, 'egress proxy is out of date; recreating it');
      await engine.containers.remove(c.id, { force: true });
      c = null;
    }
    if (!c) {
      await engine.containers.create({
        name: this.containerName,
        Image: image,
        Env: env,
        Labels: this.labels('egress'),
        HostConfig: {
          NetworkMode: this.outboundNetwork,
          RestartPolicy: { Name: 'unless-stopped' }, // crashes restart it; the health loop re-pushes the rules
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          ReadonlyRootfs: true,
          Memory: PROXY_MEMORY_BYTES,
          MemorySwap: PROXY_MEMORY_BYTES,
          PidsLimit: PROXY_PIDS,
          Init: true,
          Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' }, // DNS on :53 without any capability
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } }, // the decision log on stdout stays bounded
        },
      });
    }
    await engine.containers.start(this.containerName);
    this.control = new ControlClient(() => this.controlBase(), token);
    this.controlUrl = null;
    await this.waitReady();
    await this.pushHostAddresses();
    await this.reattachAll();
    this.stopFollow = this.control.follow((d) => {
      for (const l of this.listeners) {
        try {
          l(d);
        } catch {
          // one broken follower must not stop the others
        }
      }
    });
    this.healthTimer = setInterval(() => void this.healthTick(), HEALTH_INTERVAL_MS);
    this.healthTimer.unref();
  }

  /**
   * paddockd in a container (the Docker Desktop extension) reaches the proxy's control port only
   * from the proxy's own network: join it. On a host this does nothing.
   */
  private async joinOutboundIfContained(): Promise<void> {
    const self = ownContainerId();
    if (!self) return;
    const me = await this.opts.engine.containers.inspect(self);
    if (!me) return; // a container of another engine: nothing to join here
    if (me.networks[this.outboundNetwork]) return;
    await this.opts.engine.networks.connect(this.outboundNetwork, self);
    this.opts.log.info({ container: self.slice(0, 12), network: this.outboundNetwork }, 'paddockd runs in a container: joined the egress network to reach the proxy');
  }

  private async controlBase(): Promise<string> {
    if (this.controlUrl) return this.controlUrl;
    const c = await this.opts.engine.containers.inspect(this.containerName);
    const ip = c?.networks[this.outboundNetwork]?.ipAddress;
    if (!ip) throw new PaddockError(ErrorCode.EngineUnavailable, `The egress proxy (${this.containerName}) is not running, so sandboxes have no network. Restart paddockd to bring it back.`);
    this.controlUrl = `http://${ip}:${CONTROL_PORT}`;
    return this.controlUrl;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + PROXY_READY_TIMEOUT_MS;
    for (;;) {
      try {
        const h = await this.control!.health();
        this.lastBootId = h.bootId;
        return;
      } catch (err) {
        this.controlUrl = null;
        if (Date.now() > deadline) {
          throw new PaddockError(ErrorCode.Engine, `The egress proxy did not answer within ${PROXY_READY_TIMEOUT_MS / 1000}s (${(err as Error).message}). See \`docker logs ${this.containerName}\`.`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async healthTick(): Promise<void> {
    if (!this.control) return;
    try {
      const h = await this.control.health();
      if (h.bootId !== this.lastBootId) {
        this.opts.log.warn({ bootId: h.bootId }, 'egress proxy restarted; pushing every sandbox again');
        this.lastBootId = h.bootId;
        for (const s of this.store.all()) this.dirty.add(s.name);
        if (this.resolveOverride) await this.control.setResolveOverride(this.resolveOverride);
        this.pushedHostAddresses = '';
      }
      await this.pushHostAddresses();
      for (const name of [...this.dirty]) {
        const s = this.store.read(name);
        if (s) await this.control.put(this.proxyConfig(s));
        this.dirty.delete(name);
      }
    } catch {
      this.controlUrl = null; // re-read the address: the proxy may have been recreated
    }
  }

  /**
   * The machine's own addresses (LAN, public, bridge gateways): the proxy refuses them unless a
   * rule names them, so an allowed name rebinding to the host reaches nothing. Re-sent on change
   * (DHCP, a new bridge). Where paddockd runs in a container (Docker Desktop) these are its own.
   */
  private async pushHostAddresses(): Promise<void> {
    const addresses = (this.opts.hostAddresses ?? (() => Object.values(networkInterfaces()).flat().map((i) => i?.address ?? '').filter(Boolean)))();
    const key = JSON.stringify(addresses);
    if (key === this.pushedHostAddresses || !this.control) return;
    await this.control.setHostAddresses(addresses);
    this.pushedHostAddresses = key;
  }

  private async reattachAll(): Promise<void> {
    const c = await this.opts.engine.containers.inspect(this.containerName);
    const attached = new Set(Object.keys(c?.networks ?? {}));
    for (const s of this.store.all()) {
      const net = networkNameFor(s.name);
      try {
        if (!attached.has(net)) {
          if (!(await this.opts.engine.networks.inspect(net))) continue; // sandbox gone or in mode none since create
          await this.opts.engine.networks.connect(net, this.containerName, { ipv4: planFor(s.subnet).proxy });
        }
        await this.control!.put(this.proxyConfig(s));
      } catch (err) {
        this.opts.log.warn({ sandbox: s.name, err: String(err) }, 'could not reattach the egress proxy to a sandbox network');
      }
    }
  }

  /** Stop following and polling. The proxy container stays up: sandboxes keep their last rules. */
  async dispose(): Promise<void> {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    this.stopFollow?.();
    this.stopFollow = null;
    this.listeners.clear();
  }

  /** Remove the proxy container and its outbound network (tests; uninstall). */
  async removeProxy(): Promise<void> {
    await this.dispose();
    await this.opts.engine.containers.remove(this.containerName, { force: true });
    await this.opts.engine.networks.remove(this.outboundNetwork);
  }

  // ---- hooks -----------------------------------------------------------------------------------

  /** Proxy env and closed DNS; the initial rules are the agent's preset plus the request's hosts. */
  async beforeCreate(spec: SandboxSpec, ctx: CreateContext): Promise<void> {
    const proxyUrl = `http://${ctx.plan.proxy}:${PROXY_PORT}`;
    Object.assign(spec.env, {
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY,
      no_proxy: NO_PROXY,
      npm_config_proxy: proxyUrl, // npm reads these before HTTP(S)_PROXY
      npm_config_https_proxy: proxyUrl,
      PADDOCK_EGRESS_PROXY: proxyUrl,
      PADDOCK_CREDENTIAL_BASE: `http://${ctx.plan.proxy}:${CREDENTIAL_PORT}`,
    });
    // The engine's embedded DNS answers Paddock's own names and forwards the rest to the proxy,
    // which answers REFUSED (real answers only in open mode): nothing leaves, nothing hangs.
    spec.dns = [ctx.plan.proxy];
    const preset = new Set(agentHosts(spec.agent).map((h) => canonicalRule(h)));
    const rules: StoredRule[] = [];
    for (const h of spec.allowHosts) {
      const { rules: expanded, source } = this.expand(h); // `@npm` is a group; a bad host refuses the create with a clear message
      for (const raw of expanded) {
        if (!rules.some((r) => r.rule === raw)) rules.push({ action: 'allow', rule: raw, source: source ?? (preset.has(raw) ? 'agent' : 'user') });
      }
    }
    this.store.write({ v: 1, name: spec.name, agent: spec.agent, subnet: ctx.plan.subnet, mode: spec.network, rules });
  }

  async afterCreate(spec: SandboxSpec, _containerId: string, ctx: CreateContext): Promise<void> {
    await this.whenReady();
    if (spec.networkName) await this.attachProxy(spec.networkName, ctx.plan.proxy);
    const s = this.store.read(spec.name);
    // A push that fails is retried by the health loop; until it lands the proxy refuses this
    // sandbox's requests (fail closed), so it need not fail the create.
    if (s) await this.push(s).catch((err) => this.opts.log.warn({ sandbox: spec.name, err: String(err) }, 'egress rules not pushed yet; retrying'));
  }

  async afterStart(info: SandboxInfo): Promise<void> {
    const s = this.store.read(info.name);
    if (s) await this.push(s).catch((err) => this.opts.log.warn({ sandbox: info.name, err: String(err) }, 'egress push after start failed'));
  }

  async afterUpdate(info: SandboxInfo, change: UpdateSandboxRequest, _actor: Actor): Promise<void> {
    if (change.network !== undefined) await this.setMode(info.name, change.network);
    if (change.allowHosts !== undefined) {
      const s = this.mustRead(info.name);
      const allow = change.allowHosts.map((h) => parseRule(h).raw);
      const kept = s.rules.filter((r) => r.action === 'deny' && !allow.includes(r.rule));
      const next = allow.map((rule) => s.rules.find((r) => r.rule === rule && r.action === 'allow') ?? { action: 'allow' as const, rule, source: 'user' });
      await this.save({ ...s, rules: [...next, ...kept] });
    }
  }

  /**
   * The network settings as the proxy enforces them: the one source of truth for a sandbox's mode
   * and allowed hosts (the sandbox service shows these, whatever path changed them).
   */
  enforced(name: string): { mode: NetworkMode; allowHosts: string[] } | null {
    const s = this.store.read(name);
    return s ? { mode: s.mode, allowHosts: s.rules.filter((r) => r.action === 'allow').map((r) => r.rule) } : null;
  }

  async beforeRemove(info: SandboxInfo): Promise<void> {
    const name = info.name;
    await this.opts.engine.networks.disconnect(networkNameFor(name), this.containerName, true).catch(() => undefined);
    await this.detachOpen(name, null);
    this.credentials.delete(name);
    this.store.remove(name);
    this.dirty.delete(name);
    await this.control?.remove(name).catch(() => undefined);
  }

  private async attachProxy(network: string, address: string): Promise<void> {
    try {
      await this.opts.engine.networks.connect(network, this.containerName, { ipv4: address });
    } catch (err) {
      if (isPaddockError(err) && /already exists|already attached/i.test(err.message)) return;
      throw err;
    }
  }

  // ---- settings ---------------------------------------------------------------------------------

  private mustRead(name: string): EgressSettings {
    const s = this.store.read(name);
    if (!s) throw notFound(name);
    return s;
  }

  private proxyConfig(s: EgressSettings): ProxySandboxConfig {
    return {
      name: s.name,
      subnet: s.subnet,
      proxyAddress: planFor(s.subnet).proxy,
      mode: s.mode,
      rules: s.rules.map(({ action, rule }): EgressRule => ({ action, rule })),
      credentials: this.credentials.get(s.name) ?? [],
      forcedDeny: this.opts.policy?.deniedHosts?.() ?? [],
    };
  }

  private async push(s: EgressSettings): Promise<void> {
    if (!this.control) {
      this.dirty.add(s.name);
      return;
    }
    try {
      await this.control.put(this.proxyConfig(s));
      this.dirty.delete(s.name);
    } catch (err) {
      this.dirty.add(s.name); // the health loop retries every second
      throw new PaddockError(ErrorCode.EngineUnavailable, `Saved, but the egress proxy did not take the change (${(err as Error).message}). It applies as soon as the proxy answers; until then the sandbox keeps its previous rules.`);
    }
  }

  private async save(s: EgressSettings): Promise<void> {
    this.store.write(s);
    await this.push(s);
  }

  has(name: string): boolean {
    return this.store.read(name) !== null;
  }

  async view(name: string): Promise<NetworkView> {
    const s = this.mustRead(name);
    let counters = EMPTY_COUNTERS;
    let running = false;
    try {
      counters = (await this.control?.stats())?.[name] ?? EMPTY_COUNTERS;
      running = this.control !== null;
    } catch {
      running = false;
    }
    const plan = planFor(s.subnet);
    return {
      name,
      mode: s.mode,
      rules: s.rules,
      presets: { agent: agentHosts(s.agent), groups: HOST_GROUPS },
      counters,
      proxy: { address: plan.proxy, httpProxy: `http://${plan.proxy}:${PROXY_PORT}`, credentialBase: `http://${plan.proxy}:${CREDENTIAL_PORT}`, running },
    };
  }

  /** Rules a token stands for: `@npm` is the npm host group, anything else one rule. */
  private expand(token: string): { rules: string[]; source: StoredRule['source'] | null } {
    if (token.startsWith('@')) {
      const group = token.slice(1).toLowerCase();
      const hosts = HOST_GROUPS[group];
      if (!hosts) throw new PaddockError(ErrorCode.BadInput, `There is no host group "${group}". Groups: ${Object.keys(HOST_GROUPS).map((g) => `@${g}`).join(', ')}.`);
      return { rules: hosts.map((h) => canonicalRule(h)), source: `group:${group}` };
    }
    return { rules: [parseRule(token).raw], source: null };
  }

  /** Add (or flip) a rule; `@group` adds a whole host group. Applies to the running sandbox at once. */
  async addRule(name: string, action: RuleAction, token: string, actor: Actor = 'api'): Promise<NetworkView> {
    const s = this.mustRead(name);
    const { rules, source } = this.expand(token);
    if (action === 'allow') this.opts.policy?.checkAllowHosts(actor, name, rules);
    const preset = new Set(agentHosts(s.agent).map((h) => canonicalRule(h)));
    let next = s.rules;
    for (const rule of rules) {
      next = next.filter((r) => r.rule !== rule);
      next.push({ action, rule, source: source ?? (preset.has(rule) && action === 'allow' ? 'agent' : 'user') });
    }
    await this.save({ ...s, rules: next });
    return this.view(name);
  }

  async removeRule(name: string, token: string): Promise<NetworkView> {
    const s = this.mustRead(name);
    const { rules } = this.expand(token);
    const next = s.rules.filter((r) => !rules.includes(r.rule));
    if (next.length === s.rules.length) {
      throw new PaddockError(ErrorCode.NotFound, `Sandbox "${name}" has no rule ${token}. See its rules with \`paddock network show ${name}\`.`);
    }
    await this.save({ ...s, rules: next });
    return this.view(name);
  }

  /** Replace every rule (the dashboard's form). */
  async setRules(name: string, rules: Array<{ action: RuleAction; rule: string; source?: StoredRule['source'] }>, actor: Actor = 'api'): Promise<NetworkView> {
    const s = this.mustRead(name);
    this.opts.policy?.checkAllowHosts(actor, name, rules.filter((r) => r.action === 'allow').map((r) => r.rule));
    const next: StoredRule[] = [];
    for (const r of rules) {
      const raw = parseRule(r.rule, r.action).raw;
      const i = next.findIndex((x) => x.rule === raw);
      if (i >= 0) next.splice(i, 1);
      next.push({ action: r.action, rule: raw, source: r.source ?? s.rules.find((x) => x.rule === raw)?.source ?? 'user' });
    }
    await this.save({ ...s, rules: next });
    return this.view(name);
  }

  /** Credentials the proxy adds for one exact host each (the secrets module calls this; never persisted here). */
  async setCredentials(name: string, creds: CredentialRule[]): Promise<void> {
    const s = this.mustRead(name);
    for (const c of creds) parseRule(c.host); // one exact host each
    this.credentials.set(name, creds);
    await this.push(s);
  }

  /**
   * none: the sandbox leaves its network (only loopback); allowlist: its internal network only;
   * open: also a per-sandbox bridge with a route out. Idempotent, so the sandbox service may
   * have applied the engine side already.
   */
  /** Re-send every sandbox's config (e.g. the policy's denied hosts changed). */
  async pushAll(): Promise<void> {
    for (const s of this.store.all()) await this.push(s).catch(() => undefined);
  }

  async setMode(name: string, mode: NetworkMode): Promise<NetworkView> {
    const s = this.mustRead(name);
    const { engine } = this.opts;
    const own = networkNameFor(name);
    const c = await engine.containers.inspect(name);
    if (c) {
      const attached = new Set(Object.keys(c.networks));
      if (mode === 'none') {
        if (attached.has(own)) await engine.networks.disconnect(own, c.id, true);
        await this.detachOpen(name, c.id);
      } else {
        if (!attached.has(own)) {
          if (!(await engine.networks.inspect(own))) {
            await engine.networks.create({ name: own, internal: true, labels: this.labels('network', name), subnet: s.subnet, gateway: planFor(s.subnet).gateway });
          }
          await this.attachProxy(own, planFor(s.subnet).proxy);
          await engine.networks.connect(own, c.id, { ipv4: planFor(s.subnet).sandbox });
        }
        if (mode === 'open' && !attached.has(openNetworkName(name))) await this.attachOpen(name, c.id);
        if (mode === 'allowlist') await this.detachOpen(name, c.id);
      }
    }
    await this.save({ ...s, mode });
    return this.view(name);
  }

  private async attachOpen(name: string, containerId: string): Promise<void> {
    const { engine } = this.opts;
    const net = openNetworkName(name);
    if (!(await engine.networks.inspect(net))) {
      // From Paddock's pool, serialized: the engine's default pools run out after a few dozen networks.
      const run = this.openAllocation.then(async () => {
        const used = (await engine.networks.list({})).flatMap((n) => n.subnets);
        for (let attempt = 0; ; attempt++) {
          const plan = allocateSubnet(used, this.pool);
          if (!plan) throw new PaddockError(ErrorCode.Conflict, "Paddock's network pool is full. Remove sandboxes you no longer need with `paddock rm`.");
          try {
            await engine.networks.create({ name: net, internal: false, labels: this.labels('network', name), subnet: plan.subnet, gateway: plan.gateway });
            return;
          } catch (err) {
            // The sandbox service allocates from the same pool concurrently: take the next free block.
            if (attempt >= OPEN_ALLOCATION_RETRIES || !/overlap/i.test(String(err))) throw err;
            used.push(plan.subnet);
          }
        }
      });
      this.openAllocation = run.catch(() => undefined);
      await run;
    }
    await engine.networks.connect(net, containerId);
  }

  private async detachOpen(name: string, containerId: string | null): Promise<void> {
    const { engine } = this.opts;
    const net = openNetworkName(name);
    if (!(await engine.networks.inspect(net))) return;
    if (containerId) await engine.networks.disconnect(net, containerId, true);
    else await engine.networks.disconnect(net, name, true).catch(() => undefined);
    await engine.networks.remove(net);
  }

  // ---- decisions --------------------------------------------------------------------------------

  async recentLog(name: string, limit = LOG_RECENT_DEFAULT): Promise<DecisionRecord[]> {
    this.mustRead(name);
    if (!this.control) return [];
    try {
      return await this.control.recent(name, limit);
    } catch {
      return [];
    }
  }

  /** Every decision for `name` (or all sandboxes with null) from now on; returns the unsubscribe. */
  followLog(name: string | null, onDecision: (d: DecisionRecord) => void): () => void {
    const l = (d: DecisionRecord) => {
      if (name === null || d.sandbox === name) onDecision(d);
    };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Tests only: point names at test containers (the proxy accepts it only with test hooks on). */
  async setResolveOverride(map: Record<string, string[]>): Promise<void> {
    if (!this.control) throw new PaddockError(ErrorCode.Conflict, 'The egress proxy is not started.');
    this.resolveOverride = map; // re-sent after a proxy restart, like the rules
    await this.control.setResolveOverride(map);
  }
}
