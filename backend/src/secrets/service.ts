/**
 * SecretsService: the store, per-sandbox attachments, injection (proxy / file / env), rotation,
 * log masking and shared agent logins, plugged into the sandbox lifecycle as SandboxHooks.
 * Values never leave this module except into: the proxy (via CredentialInjector), a sandbox's
 * /run/secrets tmpfs (file mode) or its environment (env mode, the user's explicit choice).
 * Audit records and errors carry names only.
 */
import type { Logger } from 'pino';
import type { Actor } from '../api/context.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { decodeSpecLabel, Label } from '../core/labels.js';
import { AGENT_NAME_RE } from '../core/protocol.js';
import {
  SecretAttachments, type PutSecretResult, type SandboxSecretsResult, type SecretAttachment, type SecretInfo, type SecretScope,
} from '../core/secrets-protocol.js';
import type { SandboxInfo, UpdateSandboxRequest } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { PaddockPaths } from '../daemon/paths.js';
import type { Engine } from '../engine/types.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { AttachmentStore } from './attachments.js';
import { SECRETS_DIR, secretsTmpfsOptions, writeSecretFiles, type SecretFile } from './files.js';
import { MissingInjector, type CredentialInjector, type InjectionRule } from './injector.js';
import { MIN_MASKED_LENGTH, SecretMasker } from './mask.js';
import { newPlaceholder, proxyPlan } from './presets.js';
import { CHOWN_TARGETS_SCRIPT, SharedLoginSettings, sharedLoginPlan, type VolumeMount } from './shared-login.js';
import { SecretStore, type SecretReader } from './store.js';

export interface SecretsServiceOptions {
  engine: Engine;
  paths: Pick<PaddockPaths, 'stateDir' | 'settingsDir'>;
  log?: Logger;
  /** The egress module's injector. Without one, proxy-mode attachments are refused with a clear message. */
  injector?: CredentialInjector;
  /** Shared with the logger's masking hook (see maskingLogHooks). */
  masker?: SecretMasker;
  /** Where audit records go (names only): the AuditHooks instance fits. */
  audit?: AuditSink;
  /** Labels put on volumes this module creates, and used to find "our" sandboxes (tests set io.paddock.test). */
  extraLabels?: Record<string, string>;
}

/** The audit log's record entry point (AuditHooks.record); actor is an Actor or 'paddockd'. */
export interface AuditSink {
  record(actor: string, action: string, sandbox: string | null, details: Record<string, unknown>): void;
}

/** Stable audit action names for secrets (secret.use matches AuditAction.SecretUse). */
export const SecretAuditAction = {
  Set: 'secret.set',
  Remove: 'secret.remove',
  Attach: 'secret.attach',
  Use: 'secret.use',
  SharedLoginOn: 'secret.shared-login.on',
  SharedLoginOff: 'secret.shared-login.off',
} as const;

/** A running sandbox as the engine's labels describe it. */
interface RunningSandbox {
  name: string;
  containerId: string;
  agent: string;
  uid: number;
  gid: number;
}

/** What SandboxSpec needs for shared logins (to be added to core/spec.ts). */
type SpecWithVolumes = SandboxSpec & { volumes?: VolumeMount[] };

export class SecretsService implements SandboxHooks {
  readonly store: SecretStore;
  readonly masker: SecretMasker;
  readonly sharedLogins: SharedLoginSettings;
  private readonly attachments: AttachmentStore;
  private readonly engine: Engine;
  private readonly injector: CredentialInjector;
  private readonly log: Logger | undefined;
  private readonly audit: AuditSink | undefined;
  private readonly extraLabels: Record<string, string>;

  constructor(opts: SecretsServiceOptions) {
    this.engine = opts.engine;
    const masker = (this.masker = opts.masker ?? new SecretMasker());
    this.store = new SecretStore(opts.paths.stateDir, { onChange: (values) => masker.setValues(values) });
    this.attachments = new AttachmentStore(opts.paths.settingsDir);
    this.sharedLogins = new SharedLoginSettings(opts.paths.stateDir);
    this.injector = opts.injector ?? new MissingInjector();
    this.log = opts.log;
    this.audit = opts.audit;
    this.extraLabels = opts.extraLabels ?? {};
    this.store.valuesForMasking(); // opens the store now when it can, so logs are masked from the first line
  }

  private get hasProxy(): boolean {
    return !(this.injector instanceof MissingInjector);
  }

  // ---- the store ---------------------------------------------------------------------------

  list(): SecretInfo[] {
    return this.store.list();
  }

  /** Stores NAME in `scope` and pushes the new value to running sandboxes that use it. */
  async set(name: string, scope: SecretScope, value: string, actor: Actor): Promise<PutSecretResult> {
    const secret = await this.store.set(name, scope, value);
    if (value.length < MIN_MASKED_LENGTH) this.log?.warn({ secret: name }, `secret ${name} is shorter than ${MIN_MASKED_LENGTH} characters and cannot be masked in logs`);
    this.audit?.record(actor, SecretAuditAction.Set, null, { name, scope });
    const { rotated, recreateRequired } = await this.reapply(name);
    return { secret, rotated, recreateRequired };
  }

  /** Removes NAME from `scope`; running sandboxes lose it at once (proxy rule dropped, file deleted). */
  async remove(name: string, scope: SecretScope, actor: Actor): Promise<void> {
    const removed = await this.store.remove(name, scope);
    if (!removed) throw new PaddockError(ErrorCode.NotFound, `There is no secret ${name} in scope ${scope}. See \`paddock secret ls\`.`);
    this.audit?.record(actor, SecretAuditAction.Remove, null, { name, scope });
    await this.reapply(name);
  }

  // ---- attachments -------------------------------------------------------------------------

  getAttachments(sandbox: string): SecretAttachment[] {
    return this.attachments.read(sandbox);
  }

  /**
   * Replaces a sandbox's attachments. File-mode changes reach a running sandbox at once; env and
   * proxy changes live in the container's environment and need the sandbox recreated — except
   * that dropping a proxy attachment takes its rule out of the proxy at once.
   */
  async setAttachments(sandbox: string, input: unknown, actor: Actor): Promise<SandboxSecretsResult> {
    const list = parseAttachments(input);
    const containers = await this.engine.containers.list({ ...this.extraLabels, [Label.Kind]: 'sandbox', [Label.Sandbox]: sandbox });
    const c = containers[0];
    const spec = c ? decodeSpecLabel(c.labels[Label.Spec]) : null;
    if (!c || !spec) throw new PaddockError(ErrorCode.NotFound, `There is no sandbox named ${sandbox}. See \`paddock ls\`.`);
    const reader = { sandbox, agent: spec.agent };
    for (const a of list) this.requireValue(a.name, reader);
    this.checkProxyAllowed(list, spec.network);
    const before = this.attachments.read(sandbox);
    this.attachments.write(sandbox, list);
    this.audit?.record(actor, SecretAuditAction.Attach, sandbox, { secrets: list.map(({ name, mode }) => ({ name, mode })) });
    const envKey = (l: SecretAttachment[]) => JSON.stringify(l.filter((a) => a.mode !== 'file').sort((x, y) => x.name.localeCompare(y.name)));
    let recreateRequired = envKey(before) !== envKey(list);
    if (c.state === 'running') {
      const running: RunningSandbox = { name: sandbox, containerId: c.id, agent: spec.agent, uid: spec.uid, gid: spec.gid };
      const hadFiles = before.some((a) => a.mode === 'file');
      const hasFiles = list.some((a) => a.mode === 'file');
      if ((hadFiles || hasFiles) && (await this.applyFiles(running, list)) === 'no-tmpfs' && hasFiles) recreateRequired = true;
      if (before.some((a) => a.mode === 'proxy') || list.some((a) => a.mode === 'proxy')) await this.pushInjections(running.name, reader, list);
    }
    return { secrets: list, recreateRequired };
  }

  // ---- SandboxHooks ------------------------------------------------------------------------

  async beforeCreate(spec: SandboxSpec, ctx: CreateContext): Promise<void> {
    const list = parseAttachments((ctx.request as { secrets?: unknown }).secrets ?? []);
    const reader = { sandbox: spec.name, agent: spec.agent };
    this.checkProxyAllowed(list, spec.network);
    const proxyEnv: Record<string, string> = {};
    const routeIds = new Set<string>();
    for (const a of list) {
      const value = this.requireValue(a.name, reader);
      if (a.mode === 'env') {
        if (a.name === 'HOME' || a.name.startsWith('PADDOCK_')) {
          throw new PaddockError(ErrorCode.BadInput, `${a.name} is set by Paddock itself; a secret in env mode cannot replace it. Store the secret under another name.`);
        }
        spec.env[a.name] = value;
      } else if (a.mode === 'file') {
        spec.tmpfs[SECRETS_DIR] = secretsTmpfsOptions(spec.uid, spec.gid);
      } else {
        if (!isHeaderSafe(value)) {
          throw new PaddockError(ErrorCode.BadInput, `Secret ${a.name} contains a line break, so the proxy cannot send it as an HTTP header. Attach it as ${a.name}:file instead.`);
        }
        const plan = proxyPlan(a, ctx.plan.proxy, newPlaceholder());
        if (routeIds.has(plan.rule.id)) throw new PaddockError(ErrorCode.BadInput, `Two proxy-mode secrets both use the proxy route /${plan.rule.id}. Attach one secret per provider.`);
        routeIds.add(plan.rule.id);
        for (const [k, v] of Object.entries(plan.env)) {
          if (k in proxyEnv) throw new PaddockError(ErrorCode.BadInput, `Two proxy-mode secrets both set ${k}. Attach one secret per provider.`);
          proxyEnv[k] = v;
        }
      }
    }
    Object.assign(spec.env, proxyEnv);
    if (routeIds.size) bypassProxyFor(spec.env, ctx.plan.proxy);
    if (list.length) this.attachments.write(spec.name, list);
    else this.attachments.remove(spec.name); // a leftover from an earlier sandbox of the same name must not apply
    await this.applySharedLogin(spec);
    if (list.length) this.audit?.record(ctx.actor, SecretAuditAction.Attach, spec.name, { secrets: list.map(({ name, mode }) => ({ name, mode })) });
  }

  /** Once UpdateSandboxRequest has `secrets`: refuse unknown secrets or bad attachments before anything changes. */
  async beforeUpdate(info: SandboxInfo, change: UpdateSandboxRequest): Promise<void> {
    const raw = (change as { secrets?: unknown }).secrets;
    if (raw === undefined) return;
    const list = parseAttachments(raw);
    for (const a of list) this.requireValue(a.name, { sandbox: info.name, agent: info.agent });
    this.checkProxyAllowed(list, info.network);
  }

  async afterUpdate(info: SandboxInfo, change: UpdateSandboxRequest, actor: Actor): Promise<void> {
    const raw = (change as { secrets?: unknown }).secrets;
    if (raw !== undefined) await this.setAttachments(info.name, raw, actor);
  }

  async afterStart(info: SandboxInfo, containerId: string): Promise<void> {
    const list = this.attachments.read(info.name);
    const running: RunningSandbox = { name: info.name, containerId, agent: info.agent, uid: info.uid, gid: info.gid };
    if (list.some((a) => a.mode === 'file')) {
      if ((await this.applyFiles(running, list)) === 'no-tmpfs') {
        this.log?.warn({ sandbox: info.name }, 'file-mode secrets were attached after this sandbox was created; recreate it to get /run/secrets');
      }
    }
    if (list.some((a) => a.mode === 'proxy')) {
      // The egress module keeps the rules and re-pushes them when its proxy answers again: a
      // failed push here is logged, not fatal to the start.
      await this.pushInjections(info.name, { sandbox: info.name, agent: info.agent }, list)
        .catch((err: unknown) => this.log?.warn({ sandbox: info.name, err: (err as Error).message }, 'proxy credentials not applied yet'));
    }
    if (this.sharedLogins.enabled(info.agent)) await this.chownSharedLogin(running);
    for (const a of list) this.audit?.record('paddockd', SecretAuditAction.Use, info.name, { secret: a.name, mode: a.mode });
  }

  async afterStop(info: SandboxInfo): Promise<void> {
    // A stopped sandbox sends nothing; its rules come back on the next start.
    if (this.attachments.read(info.name).some((a) => a.mode === 'proxy')) await this.clearInjections(info.name);
  }

  async beforeRemove(info: SandboxInfo): Promise<void> {
    const hadProxy = this.attachments.read(info.name).some((a) => a.mode === 'proxy');
    this.attachments.remove(info.name);
    if (hadProxy) await this.clearInjections(info.name);
  }

  /** Best effort: the egress module may already have forgotten the sandbox (its hook ran first), which removes the rules too. */
  private async clearInjections(sandbox: string): Promise<void> {
    try {
      await this.injector.setInjections(sandbox, []);
    } catch (err) {
      this.log?.warn({ sandbox, err: (err as Error).message }, 'could not clear proxy credentials (the proxy may already have dropped the sandbox)');
    }
  }

  /** At paddockd start: give the proxy the rules of every running sandbox again (the proxy may have restarted too). */
  async restore(): Promise<void> {
    for (const s of await this.runningSandboxes()) {
      const list = this.attachments.read(s.name);
      if (list.some((a) => a.mode === 'proxy')) await this.pushInjections(s.name, { sandbox: s.name, agent: s.agent }, list);
    }
  }

  // ---- shared logins -----------------------------------------------------------------------

  setSharedLogin(agent: string, enabled: boolean, actor: Actor): string[] {
    if (!AGENT_NAME_RE.test(agent)) throw new PaddockError(ErrorCode.BadInput, `"${agent}" is not an agent name.`);
    if (enabled && !sharedLoginPlan(agent)) {
      throw new PaddockError(ErrorCode.BadInput, `Paddock does not know where ${agent} keeps its login; shared logins work for claude, codex, gemini and opencode.`);
    }
    const agents = this.sharedLogins.set(agent, enabled);
    this.audit?.record(actor, enabled ? SecretAuditAction.SharedLoginOn : SecretAuditAction.SharedLoginOff, null, { agent });
    return agents;
  }

  // ---- internals ---------------------------------------------------------------------------

  private requireValue(name: string, reader: SecretReader): string {
    const hit = this.store.resolve(name, reader);
    if (!hit) {
      throw new PaddockError(ErrorCode.NotFound,
        `Secret ${name} is not set for sandbox ${reader.sandbox} (looked in scopes sandbox:${reader.sandbox}, agent:${reader.agent}, global). Set it with \`paddock secret set ${name} --stdin\`.`);
    }
    return hit.value;
  }

  private checkProxyAllowed(list: SecretAttachment[], network: string): void {
    const proxied = list.filter((a) => a.mode === 'proxy');
    if (!proxied.length) return;
    const names = proxied.map((a) => a.name).join(', ');
    if (network === 'none') {
      throw new PaddockError(ErrorCode.BadInput, `Proxy-mode secrets (${names}) need a network: this sandbox has network "none". Use network allowlist, or attach them as :file.`);
    }
    if (!this.hasProxy) {
      throw new PaddockError(ErrorCode.BadInput, `Proxy-mode secrets (${names}) need the egress proxy, which this paddockd is not running. Attach them as :file instead (or :env, visible to engine users).`);
    }
    for (const a of proxied) proxyPlan(a, '0.0.0.0', 'check'); // refuses a rule with neither preset nor host, before anything is created
  }

  /** Rules for every proxy attachment whose secret currently resolves; unresolved ones are dropped (and logged by name). */
  private async pushInjections(sandbox: string, reader: SecretReader, list: SecretAttachment[]): Promise<void> {
    const rules: InjectionRule[] = [];
    for (const a of list.filter((x) => x.mode === 'proxy')) {
      const hit = this.store.resolve(a.name, reader);
      if (!hit) {
        this.log?.warn({ sandbox, secret: a.name }, `secret ${a.name} is no longer set; the proxy stops adding it`);
        continue;
      }
      if (!isHeaderSafe(hit.value)) {
        this.log?.warn({ sandbox, secret: a.name }, `secret ${a.name} contains a line break and cannot be sent as a header; the proxy stops adding it`);
        continue;
      }
      const { rule } = proxyPlan(a, '0.0.0.0', '');
      rules.push({ ...rule, value: hit.value });
    }
    await this.injector.setInjections(sandbox, rules);
  }

  private async applyFiles(s: RunningSandbox, list: SecretAttachment[]): Promise<'written' | 'no-tmpfs'> {
    const files: SecretFile[] = [];
    for (const a of list.filter((x) => x.mode === 'file')) {
      const hit = this.store.resolve(a.name, { sandbox: s.name, agent: s.agent });
      if (hit) files.push({ name: a.name, value: hit.value });
      else this.log?.warn({ sandbox: s.name, secret: a.name }, `secret ${a.name} is not set; ${SECRETS_DIR}/${a.name} is left out`);
    }
    return writeSecretFiles(this.engine, s.containerId, s.uid, s.gid, files);
  }

  private async applySharedLogin(spec: SpecWithVolumes): Promise<void> {
    if (!this.sharedLogins.enabled(spec.agent)) return;
    const plan = sharedLoginPlan(spec.agent);
    if (!plan) return;
    if (!Array.isArray(spec.volumes)) {
      this.log?.warn({ agent: spec.agent }, 'shared logins need SandboxSpec.volumes, which this build does not have; the sandbox gets its own login');
      return;
    }
    // Made here with Paddock's labels (the engine would make it bare on create). No sandbox label:
    // removing one sandbox must not take the login the agent's other sandboxes share.
    await this.engine.volumes.create(plan.volume, { ...this.extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'creds', [Label.Agent]: spec.agent });
    spec.volumes.push(...plan.mounts);
    Object.assign(spec.env, plan.env);
  }

  private async chownSharedLogin(s: RunningSandbox): Promise<void> {
    const plan = sharedLoginPlan(s.agent);
    if (!plan) return;
    const out = await this.engine.containers.exec(s.containerId, {
      cmd: ['sh', '-c', CHOWN_TARGETS_SCRIPT, 'paddock-creds', String(s.uid), String(s.gid), ...plan.mounts.map((m) => m.target)],
      user: '0:0',
    });
    if (out.exitCode !== 0) this.log?.warn({ sandbox: s.name, exitCode: out.exitCode }, 'could not hand the shared login directory to the agent user');
  }

  /** Re-applies NAME to every running sandbox that uses it. Env-mode users need a recreate. */
  private async reapply(name: string): Promise<{ rotated: string[]; recreateRequired: string[] }> {
    const rotated: string[] = [];
    const recreateRequired: string[] = [];
    for (const s of await this.runningSandboxes()) {
      const list = this.attachments.read(s.name);
      const mine = list.filter((a) => a.name === name);
      if (!mine.length) continue;
      try {
        if (mine.some((a) => a.mode === 'proxy')) await this.pushInjections(s.name, { sandbox: s.name, agent: s.agent }, list);
        if (mine.some((a) => a.mode === 'file')) await this.applyFiles(s, list);
        if (mine.some((a) => a.mode === 'env')) recreateRequired.push(s.name);
        else rotated.push(s.name);
      } catch (err) {
        // One sandbox that cannot be reached must not stop the others from getting the new value.
        this.log?.warn({ sandbox: s.name, secret: name, err: (err as Error).message }, `could not update secret ${name} in sandbox ${s.name}`);
      }
    }
    return { rotated, recreateRequired };
  }

  private async runningSandboxes(): Promise<RunningSandbox[]> {
    const containers = await this.engine.containers.list({ ...this.extraLabels, [Label.Kind]: 'sandbox' });
    const out: RunningSandbox[] = [];
    for (const c of containers) {
      if (c.state !== 'running') continue;
      const spec = decodeSpecLabel(c.labels[Label.Spec]);
      const name = c.labels[Label.Sandbox];
      if (!spec || !name) continue;
      out.push({ name, containerId: c.id, agent: spec.agent, uid: spec.uid, gid: spec.gid });
    }
    return out;
  }
}

/**
 * The agent reaches the credential port directly: through HTTP(S)_PROXY it would ask the forward
 * proxy for the proxy's own address, which the proxy refuses. Appends to whatever NO_PROXY the
 * egress hook set (register the secrets hooks after the egress hooks).
 */
function bypassProxyFor(env: Record<string, string>, proxyAddress: string): void {
  for (const key of ['NO_PROXY', 'no_proxy']) {
    const list = (env[key] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.includes(proxyAddress)) list.push(proxyAddress);
    env[key] = list.join(',');
  }
}

/** HTTP header values cannot carry CR or LF; the proxy refuses them too. */
function isHeaderSafe(value: string): boolean {
  return !/[\r\n]/.test(value);
}

function parseAttachments(input: unknown): SecretAttachment[] {
  const parsed = SecretAttachments.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaddockError(ErrorCode.BadInput, `Bad secret attachment${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}
