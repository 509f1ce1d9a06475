/**
 * Sandbox lifecycle. The engine is the source of truth: every sandbox is found again from its
 * io.paddock.* labels, so a restarted paddockd rediscovers everything. Creation is all-or-
 * nothing: on any failure, whatever was made (container, network, home volume) is removed.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Actor, AppContext } from '../api/context.js';
import { agentArgv, type AgentDefinition } from '../core/agents.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { Label, decodeSpecLabel, type SandboxLabelSpec } from '../core/labels.js';
import { assertWorkspaceAllowed, normalizeAbsolute } from '../core/paths.js';
import type { CreateSandboxRequest, ExecResult, Isolation, Mount, NetworkMode, RuntimeInfo, SandboxInfo, SandboxState, UpdateSandboxRequest } from '../core/protocol.js';
import { parseCpus, parseMemory, parsePids } from '../core/sizes.js';
import {
  DEFAULT_RESOURCES, buildContainerCreate, defaultSandboxName, homeVolumeName, missingRuntimeReason, networkNameFor, runtimeFor,
  uniqueName, validateEnv, type SandboxSpec,
} from '../core/spec.js';
import { allocateSubnet, type SubnetPlan } from '../core/subnets.js';
import type { ContainerSummary } from '../engine/types.js';
import { findAgent, loadCatalog } from '../images/catalog.js';
import type { ImageBuilder, Progress } from '../images/builder.js';
import type { CreateContext, SandboxHooks } from './hooks.js';
import { probeRemoteOwner } from './remote-paths.js';
import { startTrace } from './trace.js';
import { SettingsStore } from './settings.js';
import tarStream from 'tar-stream';

const SESSION_READY_TIMEOUT_MS = 90_000; // runc: well under a second; gVisor (ptrace) on a busy 2-core host: tens of seconds
const NETWORK_ALLOCATION_ATTEMPTS = 8; // concurrent creators (other paddockd, tests) may race us for a block
const AGENT_STATUS_TIMEOUT_MS = 3000; // a sandbox that cannot answer `paddock-ctl status` by then is reported as unknown

export interface HostFacts {
  homeDir: string | null;
  /**
   * Workspace paths belong to the engine's host, not to paddockd's filesystem (paddockd in the
   * Docker Desktop extension's container: PADDOCK_REMOTE_PATHS=1). Then paddockd never stats them;
   * the engine checks they exist and a probe container reads their owner.
   */
  remotePaths: boolean;
  gitIdentity(): { name: string | null; email: string | null };
}

export const realHostFacts: HostFacts = {
  homeDir: homedir(),
  remotePaths: process.env.PADDOCK_REMOTE_PATHS === '1',
  gitIdentity: (() => {
    let cached: { name: string | null; email: string | null } | null = null;
    return () => {
      if (cached) return cached;
      const get = (key: string): string | null => {
        const r = spawnSync('git', ['config', '--global', '--get', key], { encoding: 'utf8', timeout: 2000 });
        return r.status === 0 ? r.stdout.trim() || null : null;
      };
      cached = { name: get('user.name'), email: get('user.email') };
      return cached;
    };
  })(),
};

function engineStateToSandbox(state: string): SandboxState {
  switch (state) {
    case 'running': return 'running';
    case 'paused': return 'paused';
    case 'restarting': return 'restarting';
    case 'removing': return 'removing';
    case 'dead': return 'dead';
    case 'created':
    case 'exited':
      return 'stopped';
    default:
      return 'error';
  }
}

export class SandboxService {
  readonly settings: SettingsStore;
  private readonly hooks: SandboxHooks[] = [];
  private allocation: Promise<unknown> = Promise.resolve();
  private readonly creating = new Set<string>();

  constructor(
    private readonly ctx: AppContext,
    private readonly builder: ImageBuilder,
    private readonly host: HostFacts = realHostFacts,
  ) {
    this.settings = new SettingsStore(ctx.paths.settingsDir);
  }

  addHooks(h: SandboxHooks): void {
    this.hooks.push(h);
  }

  catalog(): AgentDefinition[] {
    return loadCatalog(this.ctx.paths.configDir);
  }

  record(actor: Actor, action: string, sandbox: string | null, details: Record<string, unknown> = {}): void {
    for (const h of this.hooks) h.record?.(actor, action, sandbox, details);
  }

  async runtimes(): Promise<RuntimeInfo[]> {
    const info = await this.ctx.engine.info();
    return (['container', 'gvisor', 'microvm'] as Isolation[]).map((isolation) => {
      const runtime = runtimeFor(isolation, info.runtimes);
      return { isolation, available: runtime !== null, runtime, reason: runtime ? null : missingRuntimeReason(isolation) };
    });
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Sandboxes of this paddockd: a test or bench daemon (extra labels) sees only its own. */
  private async containers(): Promise<ContainerSummary[]> {
    return this.ctx.engine.containers.list({ ...this.ctx.extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'sandbox' });
  }

  private toInfo(c: ContainerSummary, spec: SandboxLabelSpec): SandboxInfo {
    const s = this.settings.read(spec.name);
    const enforced = this.egressView(spec.name);
    return {
      name: spec.name,
      id: c.id,
      agent: spec.agent,
      workspace: spec.workspace,
      state: engineStateToSandbox(c.state),
      agentState: 'unknown',
      agentExitCode: null,
      isolation: spec.isolation,
      network: enforced?.mode ?? s.network ?? spec.network,
      allowHosts: enforced?.allowHosts ?? s.allowHosts ?? spec.allowHosts,
      image: spec.image,
      createdAt: spec.createdAt,
      mounts: spec.mounts,
      resources: { cpus: s.cpus ?? spec.cpus, memoryBytes: s.memoryBytes ?? spec.memoryBytes, pids: s.pids ?? spec.pids },
      autonomy: spec.autonomy,
      uid: spec.uid,
      gid: spec.gid,
      agentArgs: s.agentArgs ?? spec.agentArgs,
    };
  }

  async list(): Promise<SandboxInfo[]> {
    const out: SandboxInfo[] = [];
    for (const c of await this.containers()) {
      const spec = decodeSpecLabel(c.labels[Label.Spec]);
      if (spec) out.push(this.toInfo(c, spec));
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async find(name: string): Promise<SandboxInfo | null> {
    const matches = await this.ctx.engine.containers.list({ ...this.ctx.extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'sandbox', [Label.Sandbox]: name });
    const c = matches[0];
    const spec = c ? decodeSpecLabel(c.labels[Label.Spec]) : null;
    return c && spec ? this.toInfo(c, spec) : null;
  }

  async get(name: string): Promise<SandboxInfo> {
    const s = await this.find(name);
    if (!s) throw new PaddockError(ErrorCode.NotFound, `No sandbox named "${name}". Run \`paddock ls\` to see your sandboxes.`);
    return s;
  }

  /** Sandbox info plus the agent's state, read from inside the sandbox. */
  async inspect(name: string): Promise<SandboxInfo> {
    const s = await this.get(name);
    if (s.state !== 'running') return s;
    const st = await this.agentStatus(s).catch(() => null);
    return st ? { ...s, agentState: st.state, agentExitCode: st.code } : s;
  }

  async agentStatus(s: SandboxInfo): Promise<{ state: 'running' | 'exited'; code: number | null }> {
    const r = await withTimeout(this.ctx.engine.containers.exec(s.id, { cmd: ['paddock-ctl', 'status'], user: `${s.uid}:${s.gid}` }), AGENT_STATUS_TIMEOUT_MS);
    const out = r.stdout.toString().trim();
    if (out.startsWith('exited')) return { state: 'exited', code: Number(out.split(' ')[1] ?? NaN) };
    return { state: 'running', code: null };
  }

  // ---- creating -----------------------------------------------------------------------------

  async create(request: CreateSandboxRequest, actor: Actor, progress: Progress = () => {}): Promise<{ sandbox: SandboxInfo; reused: boolean }> {
    // policy defaults (isolation, network, resources) fill what the user left open
    const policy = this.ctx.services.policy as { withDefaults?(r: CreateSandboxRequest): CreateSandboxRequest; precheck?(r: CreateSandboxRequest, actor: Actor): Promise<void> } | undefined;
    const req = policy?.withDefaults?.(request) ?? request;
    const trace = startTrace('create', request.name ?? request.agent);
    const catalog = this.catalog();
    const agent = findAgent(catalog, req.agent);
    const workspace = this.checkWorkspace(req.workspace);
    const autonomy = req.autonomy ?? true;
    const agentArgs = req.agentArgs ?? [];

    if (req.reuse !== false) {
      const existing = (await this.list()).find((s) => s.workspace === workspace && s.agent === agent.name && (!req.name || req.name === s.name));
      if (existing) return { sandbox: await this.reuse(existing, agentArgs, req.start !== false, actor), reused: true };
    }

    const all = await this.list();
    trace.mark('list');
    const taken = new Set(all.map((s) => s.name));
    let name: string;
    if (req.name) {
      if (taken.has(req.name) || this.creating.has(req.name)) {
        const other = all.find((s) => s.name === req.name);
        throw new PaddockError(ErrorCode.Conflict, `A sandbox named "${req.name}" already exists${other ? ` (${other.agent} in ${other.workspace})` : ''}. Attach to it with \`paddock attach ${req.name}\`, pick another --name, or remove it with \`paddock rm ${req.name}\`.`);
      }
      name = req.name;
    } else {
      name = uniqueName(defaultSandboxName(agent.name, workspace), new Set([...taken, ...this.creating]));
    }

    const isolation: Isolation = req.isolation ?? 'container';
    const engineInfo = await this.ctx.engine.info();
    trace.mark('engine-info');
    const runtime = runtimeFor(isolation, engineInfo.runtimes);
    if (!runtime) throw new PaddockError(ErrorCode.RuntimeUnavailable, `Isolation "${isolation}" is not available: ${missingRuntimeReason(isolation)}`);

    const mounts = (req.mounts ?? []).map((m) => this.checkMount(m));
    // refused by policy before the (maybe minutes long) image build; beforeCreate checks again with the image
    await policy?.precheck?.({ ...req, name, workspace }, actor);
    trace.mark('policy');
    const cpus = req.cpus !== undefined ? parseCpus(req.cpus) : DEFAULT_RESOURCES.cpus;
    const memoryBytes = req.memory !== undefined ? parseMemory(req.memory) : DEFAULT_RESOURCES.memoryBytes;
    const pids = req.pids !== undefined ? parsePids(req.pids) : DEFAULT_RESOURCES.pids;
    const userEnv = req.env ?? {};
    validateEnv(userEnv);
    const localOwner = this.host.remotePaths ? null : statSync(workspace);
    const git = this.host.gitIdentity();
    const network: NetworkMode = req.network ?? 'allowlist';

    this.creating.add(name);
    const made: { container?: string; network?: string; volume?: string } = {};
    try {
      const image = await this.builder.ensureAgent(agent, progress);
      trace.mark('image');
      const owner = localOwner ?? (await this.remoteOwner(image, workspace, mounts));
      const spec: SandboxSpec = {
        name,
        agent: agent.name,
        workspace,
        image,
        isolation,
        runtime,
        network,
        networkName: networkNameFor(name),
        allowHosts: req.allowHosts ?? [...agent.hosts],
        mounts,
        cpus,
        memoryBytes,
        pids,
        autonomy,
        uid: owner.uid,
        gid: owner.gid,
        agentArgs,
        agentArgv: agentArgv(agent, autonomy, agentArgs),
        env: {
          ...agent.env,
          ...(git.name ? { GIT_AUTHOR_NAME: git.name, GIT_COMMITTER_NAME: git.name } : {}),
          ...(git.email ? { GIT_AUTHOR_EMAIL: git.email, GIT_COMMITTER_EMAIL: git.email } : {}),
          ...userEnv,
        },
        homeVolume: homeVolumeName(name),
        createdAt: new Date().toISOString(),
        extraLabels: this.ctx.extraLabels,
        dns: null,
        tmpfs: {},
        volumes: [],
        ...(req.cols ? { cols: req.cols } : {}),
        ...(req.rows ? { rows: req.rows } : {}),
      };
      const plan = await this.createNetwork(spec, made);
      trace.mark('network');
      const cctx: CreateContext = { actor, request: req, plan };
      for (const h of this.hooks) await h.beforeCreate?.(spec, cctx);
      trace.mark('before-create-hooks');

      await this.ctx.engine.volumes.create(spec.homeVolume, this.ownedLabels(name, 'home'));
      made.volume = spec.homeVolume;
      trace.mark('volume');
      const body = buildContainerCreate(spec);
      if (spec.networkName) {
        (body.NetworkingConfig as { EndpointsConfig: Record<string, Record<string, unknown>> }).EndpointsConfig[spec.networkName]!.IPAMConfig = { IPv4Address: plan.sandbox };
      }
      made.container = await this.ctx.engine.containers.create(body);
      trace.mark('container');
      for (const h of this.hooks) await h.afterCreate?.(spec, made.container, cctx);
      if (network !== 'allowlist') await this.networkModes().setMode(name, network);
      trace.mark('after-create-hooks');

      let info = await this.get(name);
      this.record(actor, 'sandbox.create', name, { agent: agent.name, workspace, isolation, network, image });
      if (req.start !== false) info = await this.start(name, actor);
      trace.mark('start');
      this.ctx.events.emit({ type: 'sandbox', action: 'created', sandbox: info });
      trace.done((f, m) => this.ctx.log.info(f, m));
      return { sandbox: info, reused: false };
    } catch (err) {
      await this.cleanup(name, made, made.network ? partialInfo(name, agent.name, workspace, network) : undefined);
      throw err;
    } finally {
      this.creating.delete(name);
    }
  }

  private ownedLabels(sandbox: string, kind: string): Record<string, string> {
    return { ...this.ctx.extraLabels, [Label.Managed]: 'true', [Label.Kind]: kind, [Label.Sandbox]: sandbox };
  }

  /** Allocate a /28 from Paddock's pool and create the sandbox's own internal network (serialized). */
  private async createNetwork(spec: SandboxSpec, made: { network?: string }): Promise<SubnetPlan> {
    const run = this.allocation.then(async () => {
      for (let attempt = 1; ; attempt++) {
        const nets = await this.ctx.engine.networks.list({});
        const plan = allocateSubnet(nets.flatMap((n) => n.subnets));
        if (!plan) throw new PaddockError(ErrorCode.Conflict, 'Paddock\'s network pool is full (4096 sandbox networks). Remove sandboxes you no longer need with `paddock rm`.');
        try {
          await this.ctx.engine.networks.create({
            name: spec.networkName!, internal: true, labels: this.ownedLabels(spec.name, 'network'), subnet: plan.subnet, gateway: plan.gateway,
          });
        } catch (err) {
          // another engine client took the same block between our list and create: pick again
          if (attempt < NETWORK_ALLOCATION_ATTEMPTS && /overlap/i.test((err as Error).message)) {
            await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
            continue;
          }
          throw err;
        }
        made.network = spec.networkName!;
        return plan;
      }
    });
    this.allocation = run.catch(() => undefined);
    return run;
  }

  /** Mode and allowed hosts as the egress proxy enforces them (null before egress knows the sandbox). */
  private egressView(name: string): { mode: NetworkMode; allowHosts: string[] } | null {
    const e = this.ctx.services.egress as { enforced?(name: string): { mode: NetworkMode; allowHosts: string[] } | null } | undefined;
    return e?.enforced?.(name) ?? null;
  }

  /** The egress module owns network modes (proxy attachment, the open bridge); paddockd always registers it. */
  private networkModes(): { setMode(name: string, mode: NetworkMode): Promise<unknown> } {
    const e = this.ctx.services.egress as { setMode?(name: string, mode: NetworkMode): Promise<unknown> } | undefined;
    if (!e?.setMode) throw new PaddockError(ErrorCode.Internal, 'The egress module is not running in this paddockd, so network modes cannot be set. Restart paddockd.');
    return e as { setMode(name: string, mode: NetworkMode): Promise<unknown> };
  }

  private async cleanup(name: string, made: { container?: string; network?: string; volume?: string }, partial?: SandboxInfo): Promise<void> {
    const errs: unknown[] = [];
    const attempt = async (fn: () => Promise<void>) => fn().catch((e) => errs.push(e));
    // hooks release what they attached (the egress proxy's endpoint on the network, secrets state)
    if (partial) for (const h of this.hooks) await attempt(async () => h.beforeRemove?.(partial));
    if (made.container) await attempt(() => this.ctx.engine.containers.remove(made.container!, { force: true }));
    await attempt(() => this.ctx.engine.networks.remove(`paddock-open-${name}`));
    if (made.network) await attempt(() => this.ctx.engine.networks.remove(made.network!));
    if (made.volume) await attempt(() => this.ctx.engine.volumes.remove(made.volume!));
    this.settings.remove(name);
    if (errs.length) this.ctx.log.warn({ sandbox: name, errors: errs.map(String) }, 'cleanup after failed create left something behind');
  }

  private async reuse(s: SandboxInfo, agentArgs: string[], start: boolean, actor: Actor): Promise<SandboxInfo> {
    const argsChanged = JSON.stringify(agentArgs) !== JSON.stringify(s.agentArgs);
    if (argsChanged) {
      const agent = findAgent(this.catalog(), s.agent);
      this.settings.write(s.name, { agentArgs });
      // The new argv takes effect at the next agent (re)start; written now for a stopped sandbox too.
      if (s.state === 'running') {
        await this.ctlExec(s, ['set-argv', JSON.stringify(agentArgv(agent, s.autonomy, agentArgs))]);
        await this.ctlExec(s, ['restart']);
      }
    }
    if (start && s.state !== 'running') return this.start(s.name, actor);
    return this.get(s.name);
  }

  /** Remote paths: the engine checks the workspace and extra mounts exist, and says who owns the workspace. */
  private async remoteOwner(image: string, workspace: string, mounts: Mount[]): Promise<{ uid: number; gid: number }> {
    const labels = { ...this.ctx.extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'probe' };
    for (const m of mounts) await probeRemoteOwner(this.ctx.engine, image, m.source, labels).catch((err: unknown) => {
      // a mount source may be a file; only "cannot see it" matters here
      if (err instanceof PaddockError && err.code === ErrorCode.BadInput && /not a directory/.test(err.message)) return;
      throw err;
    });
    return probeRemoteOwner(this.ctx.engine, image, workspace, labels);
  }

  private checkWorkspace(input: string): string {
    const path = normalizeAbsolute(input.replace(/\/+$/, '') || '/');
    assertWorkspaceAllowed(path, this.host.homeDir);
    if (this.host.remotePaths) return path; // the engine's host owns it: checked by the engine at create
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new PaddockError(ErrorCode.BadInput, `Workspace ${path} does not exist. Create it (mkdir -p ${path}) or pass an existing folder.`);
    }
    if (!st.isDirectory()) throw new PaddockError(ErrorCode.BadInput, `Workspace ${path} is not a directory. Pass the project folder.`);
    // A symlink must not smuggle a forbidden target in.
    assertWorkspaceAllowed(realpathSync(path), this.host.homeDir);
    return path;
  }

  private checkMount(m: Mount): Mount {
    const source = normalizeAbsolute(m.source);
    assertWorkspaceAllowed(source, this.host.homeDir);
    if (this.host.remotePaths) return { source, readOnly: m.readOnly };
    try {
      statSync(source);
    } catch {
      throw new PaddockError(ErrorCode.BadInput, `Mount source ${source} does not exist. Create it or fix the --mount path.`);
    }
    assertWorkspaceAllowed(realpathSync(source), this.host.homeDir);
    return { source, readOnly: m.readOnly };
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async start(name: string, actor: Actor = 'api'): Promise<SandboxInfo> {
    const trace = startTrace('start', name);
    const s = await this.get(name);
    trace.mark('get');
    if (s.state !== 'running') {
      for (const h of this.hooks) await h.beforeStart?.(s, actor);
      const override = this.settings.read(name).agentArgs;
      if (override) {
        // Args changed since create: put the new argv where paddock-init looks before it starts the agent.
        const agent = findAgent(this.catalog(), s.agent);
        const argv = agentArgv(agent, s.autonomy, override);
        await this.ctx.engine.containers.putArchive(s.id, '/run/paddock', await tarOneFile('agent.argv', argv.map((a) => a + '\0').join(''), s.uid, s.gid));
      }
      trace.mark('before-start');
      await this.ctx.engine.containers.start(s.id);
      trace.mark('engine-start');
      const info = await this.get(name);
      // The hooks (egress rules, secret files) need only a running container: they run while
      // paddock-init brings up the agent's session, not after it.
      await Promise.all([
        this.waitForAgentSession(s).then(() => trace.mark('agent-session')),
        this.afterStartHooks(info).then(() => trace.mark('after-start-hooks')),
      ]);
      this.record(actor, 'sandbox.start', name);
      return this.started(info, trace);
    }
    const info = await this.get(name);
    await this.afterStartHooks(info);
    return this.started(info, trace);
  }

  private async afterStartHooks(info: SandboxInfo): Promise<void> {
    for (const h of this.hooks) await h.afterStart?.(info, info.id);
  }

  private started(info: SandboxInfo, trace: ReturnType<typeof startTrace>): SandboxInfo {
    this.ctx.events.emit({ type: 'sandbox', action: 'updated', sandbox: info });
    trace.done((f, m) => this.ctx.log.info(f, m));
    return info;
  }

  /**
   * paddock-init starts tmux right after the container starts; wait until the agent session
   * exists. One exec that waits inside the sandbox: polling from here would cost an exec per try.
   */
  private async waitForAgentSession(s: SandboxInfo): Promise<void> {
    const r = await this.ctx.engine.containers
      .exec(s.id, { cmd: ['paddock-ctl', 'wait-ready', String(SESSION_READY_TIMEOUT_MS / 1000)], user: `${s.uid}:${s.gid}` })
      .catch(() => null);
    if (r?.exitCode === 0) return;
    const d = await this.ctx.engine.containers.inspect(s.id);
    if (d && d.state !== 'running') {
      throw new PaddockError(ErrorCode.Engine, `Sandbox "${s.name}" stopped right after starting (exit ${d.exitCode}${d.oomKilled ? ', out of memory' : ''}). See \`docker logs ${s.name}\`.`);
    }
    throw new PaddockError(ErrorCode.Engine, `Sandbox "${s.name}" started but its agent session did not appear within ${SESSION_READY_TIMEOUT_MS / 1000}s. See \`docker logs ${s.name}\`.`);
  }

  async stop(name: string, actor: Actor = 'api'): Promise<SandboxInfo> {
    const s = await this.get(name);
    await this.ctx.engine.containers.stop(s.id);
    const info = await this.get(name);
    for (const h of this.hooks) await h.afterStop?.(info);
    this.record(actor, 'sandbox.stop', name);
    this.ctx.events.emit({ type: 'sandbox', action: 'updated', sandbox: info });
    return info;
  }

  async restartAgent(name: string, actor: Actor = 'api'): Promise<SandboxInfo> {
    const s = await this.get(name);
    if (s.state !== 'running') return this.start(name, actor);
    await this.ctlExec(s, ['restart']);
    this.record(actor, 'sandbox.restart-agent', name);
    return this.inspect(name);
  }

  /** Remove the sandbox and everything it owned: container, its networks, its home volume. */
  async remove(name: string, opts: { force?: boolean } = {}, actor: Actor = 'api'): Promise<void> {
    const s = await this.get(name);
    if (s.state === 'running' && !opts.force) {
      throw new PaddockError(ErrorCode.Conflict, `Sandbox "${name}" is running. Stop it first (\`paddock stop ${name}\`) or use \`paddock rm -f ${name}\`.`);
    }
    for (const h of this.hooks) await h.beforeRemove?.(s).catch((e) => this.ctx.log.warn({ err: String(e) }, 'remove hook failed'));
    await this.ctx.engine.containers.remove(s.id, { force: true });
    for (const n of await this.ctx.engine.networks.list({ [Label.Managed]: 'true', [Label.Sandbox]: name })) {
      await this.ctx.engine.networks.remove(n.id);
    }
    for (const v of await this.ctx.engine.volumes.list({ [Label.Managed]: 'true', [Label.Sandbox]: name })) {
      await this.ctx.engine.volumes.remove(v.name);
    }
    this.settings.remove(name);
    this.record(actor, 'sandbox.remove', name);
    this.ctx.events.emit({ type: 'sandbox-removed', name });
  }

  /** Live settings changes: resources via the engine's update, network via the egress hooks. */
  async update(name: string, change: UpdateSandboxRequest, actor: Actor = 'api'): Promise<{ sandbox: SandboxInfo; restartRequired: boolean }> {
    const s = await this.get(name);
    for (const h of this.hooks) await h.beforeUpdate?.(s, change, actor);
    const res: { nanoCpus?: number; memory?: number; pidsLimit?: number } = {};
    const patch: Record<string, unknown> = {};
    if (change.cpus !== undefined) {
      res.nanoCpus = Math.round(parseCpus(change.cpus) * 1e9);
      patch.cpus = parseCpus(change.cpus);
    }
    if (change.memory !== undefined) {
      res.memory = parseMemory(change.memory);
      patch.memoryBytes = res.memory;
    }
    if (change.pids !== undefined) {
      res.pidsLimit = parsePids(change.pids);
      patch.pids = res.pidsLimit;
    }
    if (Object.keys(res).length) await this.ctx.engine.containers.update(s.id, res);
    // the egress module's afterUpdate hook moves the sandbox between networks
    // mode and hosts live in the egress store (egressView); the settings file keeps neither
    this.settings.write(name, patch);
    const info = await this.get(name);
    for (const h of this.hooks) await h.afterUpdate?.(info, change, actor);
    this.record(actor, 'sandbox.update', name, { change: { ...change } });
    // read again: the egress hook has just written the network mode and hosts this answer shows
    const after = await this.get(name);
    this.ctx.events.emit({ type: 'sandbox', action: 'updated', sandbox: after });
    return { sandbox: after, restartRequired: false };
  }

  async exec(name: string, cmd: string[], opts: { root?: boolean; env?: Record<string, string> } = {}, actor: Actor = 'api'): Promise<ExecResult> {
    const s = await this.get(name);
    if (s.state !== 'running') throw new PaddockError(ErrorCode.Conflict, `Sandbox "${name}" is ${s.state}. Start it with \`paddock start ${name}\` first.`);
    this.record(actor, 'sandbox.exec', name, { cmd: cmd[0] });
    const r = await this.ctx.engine.containers.exec(s.id, {
      cmd,
      user: opts.root ? '0:0' : `${s.uid}:${s.gid}`,
      workingDir: s.workspace,
      env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    });
    return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  /** Run paddock-ctl inside the sandbox as the agent user. */
  async ctlExec(s: SandboxInfo, args: string[]): Promise<string> {
    const r = await this.ctx.engine.containers.exec(s.id, { cmd: ['paddock-ctl', ...args], user: `${s.uid}:${s.gid}` });
    if (r.exitCode !== 0) {
      throw new PaddockError(ErrorCode.Engine, `paddock-ctl ${args[0]} failed in ${s.name} (exit ${r.exitCode}): ${r.stderr.toString().trim() || r.stdout.toString().trim()}`);
    }
    return r.stdout.toString('utf8');
  }
}

/** Enough of a SandboxInfo for hooks to release a sandbox whose create failed half-way. */
function partialInfo(name: string, agent: string, workspace: string, network: NetworkMode): SandboxInfo {
  return {
    name, id: name, agent, workspace, state: 'error', agentState: 'unknown', agentExitCode: null, isolation: 'container', network, allowHosts: [],
    image: '', createdAt: new Date().toISOString(), mounts: [], resources: { ...DEFAULT_RESOURCES }, autonomy: true, uid: 0, gid: 0, agentArgs: [],
  };
}

/** A one-file tar archive, for copying small files into a container. */
function tarOneFile(name: string, content: string, uid: number, gid: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = tarStream.pack();
    const chunks: Buffer[] = [];
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
    p.entry({ name, mode: 0o644, uid, gid }, content);
    p.finalize();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new PaddockError(ErrorCode.Engine, `timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

