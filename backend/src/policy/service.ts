/**
 * The effective policy in paddockd: loads the user and organization files, watches them, refuses
 * creates and live changes that break them (naming the rule), and re-checks running sandboxes when
 * a file changes (stopping or flagging violators, per `onViolation`).
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import type { Actor } from '../api/context.js';
import { BUILTIN_AGENTS } from '../core/agents.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import {
  applyDefaults, describePolicy, emptyPolicy, evaluate, invalidFileViolations, mergePolicies, requestFromCreate, requestFromSandbox,
  Rule, type Policy, type PolicyRequest,
} from '../core/policy.js';
import type { PolicyCheckResult, PolicyFileError, PolicyView, Violation } from '../core/policy-protocol.js';
import type { CreateSandboxRequest, PaddockEvent, SandboxInfo, SandboxState, UpdateSandboxRequest } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { formatPolicyError, loadPolicyFile, policyFilePaths, type LoadedPolicyFile, type PolicyFilePaths } from './load.js';

export const POLICY_POLL_MS = 1000; // two small files; polling survives editors that replace files and dirs that appear later
export const POLICY_DEBOUNCE_MS = 150; // an editor's save is several writes; re-check once

/** States in which a sandbox counts as running (uses resources, can reach the network). */
const LIVE_STATES: ReadonlySet<SandboxState> = new Set(['running', 'paused', 'restarting', 'creating']);

export interface PolicyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PolicyServiceOptions {
  /** The user's file is `<configDir>/policy.yaml`. */
  configDir: string;
  /** Organization file; default: $PADDOCK_ORG_POLICY, none when unset. */
  orgPath?: string | null;
  homeDir?: string | null;
  listSandboxes(): Promise<SandboxInfo[]>;
  stopSandbox(name: string): Promise<void>;
  /** Audit sink (AuditHooks.record): refusals, policy changes, stopped/flagged violators. */
  record?(actor: string, action: string, sandbox: string | null, details: Record<string, unknown>): void;
  /** Hosts an agent brings in allowlist mode (default: the built-in catalog). */
  agentHosts?(agent: string): readonly string[];
  events?: { emit(e: PaddockEvent): void };
  log?: PolicyLogger;
  /** 0 disables watching (tests call reload()). */
  pollMs?: number;
}

export interface RecheckResult {
  stopped: string[];
  flagged: string[];
}

export class PolicyService implements SandboxHooks {
  private readonly files: PolicyFilePaths;
  private readonly homeDir: string | null;
  private user: LoadedPolicyFile;
  private org: LoadedPolicyFile | null;
  /** Last good policy of each file: a typo never loosens what was in force. */
  private lastGoodUser: Policy | null = null;
  private lastGoodOrg: Policy | null = null;
  private effective: Policy = emptyPolicy();
  private loadedAt = new Date();
  private readonly flagged = new Map<string, Violation[]>();
  private debounce: NodeJS.Timeout | null = null;
  private reloading: Promise<void> = Promise.resolve();
  private readonly watched: string[] = [];
  private disposed = false;

  private constructor(private readonly opts: PolicyServiceOptions) {
    this.files = { user: policyFilePaths(opts.configDir).user, org: opts.orgPath === undefined ? policyFilePaths(opts.configDir).org : opts.orgPath };
    this.homeDir = opts.homeDir === undefined ? safeHome() : opts.homeDir;
    this.user = { path: this.files.user, present: false, policy: null, errors: [], hash: '' };
    this.org = this.files.org ? { path: this.files.org, present: false, policy: null, errors: [], hash: '' } : null;
  }

  /** Load both files and start watching them. Broken files are reported, not thrown. */
  static async start(opts: PolicyServiceOptions): Promise<PolicyService> {
    const s = new PolicyService(opts);
    await s.load();
    const poll = opts.pollMs ?? POLICY_POLL_MS;
    if (poll > 0) {
      for (const f of [s.files.user, s.files.org]) {
        if (!f) continue;
        watchFile(f, { interval: poll, persistent: false }, s.onFileEvent);
        s.watched.push(f);
      }
    }
    return s;
  }

  private readonly onFileEvent = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload().catch((e: unknown) => this.opts.log?.error({ err: String(e) }, 'policy reload failed'));
    }, POLICY_DEBOUNCE_MS);
  };

  private async load(): Promise<boolean> {
    const user = await loadPolicyFile(this.files.user, this.homeDir);
    const org = this.files.org ? await loadPolicyFile(this.files.org, this.homeDir) : null;
    if (org && !org.present) {
      // Configured but missing: fail closed rather than run without the organization's rules.
      org.errors = [{ file: org.path, line: null, column: null, path: '', message: `${'PADDOCK_ORG_POLICY'} points here but the file does not exist; restore it or unset the variable` }];
    }
    const changed = user.hash !== this.user.hash || user.present !== this.user.present || (org?.hash ?? '') !== (this.org?.hash ?? '') || (org?.errors.length ?? 0) !== (this.org?.errors.length ?? 0);
    this.user = user;
    this.org = org;
    if (!user.errors.length) this.lastGoodUser = user.policy;
    if (org && !org.errors.length) this.lastGoodOrg = org.policy;
    this.effective = mergePolicies(...[this.lastGoodUser, this.lastGoodOrg].filter((p): p is Policy => p !== null));
    this.loadedAt = new Date();
    for (const e of this.errors) this.opts.log?.warn({ file: e.file, line: e.line }, `policy: ${formatPolicyError(e)}`);
    return changed;
  }

  /** Re-read the files; when they changed, re-check running sandboxes. Serialized. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.disposed) return;
      const changed = await this.load();
      if (!changed) return;
      this.opts.record?.('paddockd', 'policy.changed', null, {
        files: [this.user, ...(this.org ? [this.org] : [])].map((f) => ({ path: f.path, present: f.present, sha256: f.hash || null, errors: f.errors.length })),
      });
      await this.recheck();
    });
    return this.reloading;
  }

  get policy(): Policy {
    return this.effective;
  }

  get errors(): PolicyFileError[] {
    return [...this.user.errors, ...(this.org?.errors ?? [])];
  }

  view(): PolicyView {
    return {
      files: {
        user: { path: this.user.path, present: this.user.present },
        org: this.org ? { path: this.org.path, present: this.org.present } : null,
      },
      rules: describePolicy(this.effective),
      onViolation: this.effective.onViolation.value,
      errors: this.errors,
      flagged: [...this.flagged].map(([sandbox, violations]) => ({ sandbox, violations })),
      loadedAt: this.loadedAt.toISOString(),
    };
  }

  /** The create request with the policy's defaults filled in. Call before building the spec. */
  withDefaults(req: CreateSandboxRequest): CreateSandboxRequest {
    return applyDefaults(this.effective, req);
  }

  private agentHosts(agent: string): readonly string[] {
    return this.opts.agentHosts?.(agent) ?? BUILTIN_AGENTS.find((a) => a.name === agent)?.hosts ?? [];
  }

  private async othersRunning(except: string | null): Promise<number> {
    const all = await this.opts.listSandboxes();
    return all.filter((s) => s.name !== except && LIVE_STATES.has(s.state)).length;
  }

  /** Dry run of a create (POST /policy/check, `paddock policy check`). */
  async check(req: CreateSandboxRequest, extra: { image?: string; envSecrets?: readonly string[] } = {}): Promise<PolicyCheckResult> {
    const effective = this.withDefaults(req);
    const violations = [
      ...invalidFileViolations(this.errors),
      ...evaluate(this.effective, requestFromCreate(this.effective, req, req.allowHosts ? [] : this.agentHosts(req.agent), { ...extra, othersRunning: await this.othersRunning(req.name ?? null) })),
    ];
    return { allowed: violations.length === 0, violations, effective: effective as Record<string, unknown> };
  }

  /** The create check before anything is built or made: a refused launch costs no image build. */
  async precheck(req: CreateSandboxRequest, actor: Actor): Promise<void> {
    const r = await this.check(req, { envSecrets: envSecretNames(req.secrets) });
    if (!r.allowed) this.refuse(actor, req.name ?? req.agent, 'create', r.violations);
  }

  async beforeCreate(spec: SandboxSpec, ctx: CreateContext): Promise<void> {
    const req = ctx.request;
    // Resources the user left open follow the policy's defaults and ceilings (safe to change in the spec).
    const d = this.withDefaults(req);
    if (req.cpus === undefined && d.cpus !== undefined) spec.cpus = d.cpus;
    if (req.memory === undefined && typeof d.memory === 'number') spec.memoryBytes = d.memory;
    if (req.pids === undefined && d.pids !== undefined) spec.pids = d.pids;

    const preq: PolicyRequest = {
      agent: spec.agent,
      image: spec.image,
      workspace: spec.workspace,
      mounts: spec.mounts,
      isolation: spec.isolation,
      network: spec.network,
      allowHosts: spec.allowHosts,
      cpus: spec.cpus,
      memoryBytes: spec.memoryBytes,
      pids: spec.pids,
      othersRunning: await this.othersRunning(spec.name),
      envSecrets: envSecretNames(req.secrets),
    };
    const violations = [...invalidFileViolations(this.errors), ...evaluate(this.effective, preq)];
    if (violations.length) this.refuse(ctx.actor, spec.name, 'create', violations);
  }

  async beforeUpdate(info: SandboxInfo, change: UpdateSandboxRequest, actor: Actor): Promise<void> {
    if (change.secrets) this.checkEnvSecrets(actor, info.name, envSecretNames(change.secrets));
    // A live change may not add violations; ones the sandbox already has (flagged) do not block it.
    const key = (v: Violation): string => `${v.rule}\u0000${v.message}`;
    const before = new Set(evaluate(this.effective, requestFromSandbox(info)).map(key));
    const after = evaluate(this.effective, requestFromSandbox(info, change));
    const added = [...invalidFileViolations(this.errors), ...after.filter((v) => !before.has(key(v)))];
    if (added.length) this.refuse(actor, info.name, 'update', added);
  }

  /**
   * Starting an existing sandbox (`paddock start`, or `run` reusing one) is held to the policy too:
   * a sandbox that violates the current policy is refused before it runs.
   */
  async beforeStart(info: SandboxInfo, actor: Actor): Promise<void> {
    const violations = [...invalidFileViolations(this.errors), ...evaluate(this.effective, requestFromSandbox(info, {}, await this.othersRunning(info.name)))];
    if (violations.length) this.refuse(actor, info.name, 'start', violations);
  }

  /**
   * For the egress module's own rule edits (which do not pass through SandboxService.update):
   * refuse allow rules that would reach a host the policy denies.
   */
  checkAllowHosts(actor: Actor, sandbox: string, hosts: readonly string[]): void {
    const violations = evaluate({ ...emptyPolicy(), denyHosts: this.effective.denyHosts }, { ...NEUTRAL, network: 'allowlist', allowHosts: hosts });
    if (violations.length) this.refuse(actor, sandbox, 'update', violations);
  }

  /** For the secrets module: refuse env-mode injection when the policy forbids it. */
  checkEnvSecrets(actor: Actor, sandbox: string, names: readonly string[]): void {
    const p = this.effective;
    if (p.allowEnvSecrets?.value !== false || !names.length) return;
    const violations = evaluate({ ...emptyPolicy(), allowEnvSecrets: p.allowEnvSecrets }, { ...NEUTRAL, envSecrets: names });
    this.refuse(actor, sandbox, 'secret', violations);
  }

  private refuse(actor: string, sandbox: string, op: 'create' | 'start' | 'update' | 'secret', violations: Violation[]): never {
    this.opts.record?.(actor, 'policy.refused', sandbox, { op, violations });
    const headline = {
      create: `Policy refuses sandbox "${sandbox}"`,
      start: `Policy refuses to start sandbox "${sandbox}"`,
      update: `Policy refuses this change to "${sandbox}"`,
      secret: `Policy refuses env secrets for "${sandbox}"`,
    }[op];
    throw policyDenied(headline, violations);
  }

  /**
   * Evaluate every running sandbox against the current policy. The concurrency limit counts
   * sandboxes oldest first, so the newest ones over the limit are the violators.
   */
  async recheck(): Promise<RecheckResult> {
    const result: RecheckResult = { stopped: [], flagged: [] };
    const live = (await this.opts.listSandboxes()).filter((s) => LIVE_STATES.has(s.state)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const seen = new Set<string>();
    for (let i = 0; i < live.length; i++) {
      const s = live[i]!;
      seen.add(s.name);
      const violations = evaluate(this.effective, requestFromSandbox(s, {}, i));
      if (!violations.length) {
        this.flagged.delete(s.name);
        continue;
      }
      const rules = violations.map((v) => v.rule).join(', ');
      if (this.effective.onViolation.value === 'stop') {
        try {
          await this.opts.stopSandbox(s.name);
          this.flagged.delete(s.name);
          result.stopped.push(s.name);
          this.opts.record?.('paddockd', 'policy.violation', s.name, { outcome: 'stopped', violations });
          this.toast('warning', `Stopped sandbox ${s.name}: it breaks the new policy (${rules}).`);
        } catch (e) {
          this.flagged.set(s.name, violations);
          result.flagged.push(s.name);
          this.opts.log?.error({ sandbox: s.name, err: String(e) }, 'policy: could not stop a violating sandbox');
          this.opts.record?.('paddockd', 'policy.violation', s.name, { outcome: 'stop-failed', error: String(e), violations });
        }
      } else {
        const known = JSON.stringify(this.flagged.get(s.name) ?? null) === JSON.stringify(violations);
        this.flagged.set(s.name, violations);
        result.flagged.push(s.name);
        if (!known) {
          this.opts.record?.('paddockd', 'policy.violation', s.name, { outcome: 'flagged', violations });
          this.toast('warning', `Sandbox ${s.name} breaks the new policy (${rules}). Stop it, or change it with \`paddock policy show\` in view.`);
        }
      }
    }
    for (const name of [...this.flagged.keys()]) if (!seen.has(name)) this.flagged.delete(name);
    return result;
  }

  /** Violations recorded for a running sandbox at the last re-check (flag mode). */
  flaggedViolations(name: string): Violation[] {
    return this.flagged.get(name) ?? [];
  }

  private toast(level: 'warning', message: string): void {
    this.opts.events?.emit({ type: 'toast', level, message });
  }

  /** Stop watching; pending reloads finish first. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    for (const f of this.watched.splice(0)) unwatchFile(f, this.onFileEvent);
    await this.reloading;
  }
}

/** A request that breaks nothing by itself, to evaluate one rule in isolation. */
const NEUTRAL: PolicyRequest = { agent: 'shell', workspace: '/', mounts: [], isolation: 'container', network: 'none', allowHosts: [], cpus: 0, memoryBytes: 0, pids: 0 };

/** The refusal users see: every violation, each naming its rule and file. */
export function policyDenied(headline: string, violations: Violation[]): PaddockError {
  const lines = violations.map((v) => `  - [${v.rule}, ${v.source}] ${v.message}`);
  return new PaddockError(ErrorCode.PolicyDenied, `${headline}:\n${lines.join('\n')}`, { violations, rules: [...new Set(violations.map((v) => v.rule))] });
}

function safeHome(): string | null {
  try {
    return homedir();
  } catch {
    return null;
  }
}

export { Rule };

/** Names of the secrets a request would inject as environment variables. */
function envSecretNames(secrets: readonly { name: string; mode: string }[] | undefined): string[] {
  return (secrets ?? []).filter((s) => s.mode === 'env').map((s) => s.name);
}
