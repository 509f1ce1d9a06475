/**
 * The audit log's place in the sandbox lifecycle, plus the entry points other modules call:
 * network decisions (aggregated per host per minute) and secret use (names only, never values).
 */
import type { Actor } from '../api/context.js';
import type { SandboxInfo, UpdateSandboxRequest } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { AuditLog, auditDirOf, type AuditLogOptions } from './log.js';
import { NETWORK_FLUSH_MS, NetworkAggregator } from './network.js';

/** Action names, stable: filters and exports rely on them. */
export const AuditAction = {
  DaemonStart: 'paddockd.start',
  DaemonStop: 'paddockd.stop',
  Create: 'sandbox.create',
  Start: 'sandbox.start',
  Stop: 'sandbox.stop',
  Remove: 'sandbox.remove',
  Update: 'sandbox.update',
  TerminalAttach: 'terminal.attach',
  TerminalDetach: 'terminal.detach',
  Exec: 'sandbox.exec',
  Network: 'network.summary',
  SecretUse: 'secret.use',
  PolicyRefused: 'policy.refused',
  PolicyChanged: 'policy.changed',
  PolicyViolation: 'policy.violation',
} as const;

export type AuditActorName = Actor | 'paddockd';

/** Create details waiting for the service's own 'sandbox.create' record; bounded because failed creates never claim theirs. */
const MAX_PENDING_CREATES = 64;

export interface AuditHooksOptions extends AuditLogOptions {
  /**
   * Who writes lifecycle records. 'service' (default): the sandbox service calls record() with the
   * actor for create/start/stop/remove/update/exec, and these hooks only add the full spec to the
   * create record. 'hooks': the lifecycle hooks write the records themselves.
   */
  lifecycle?: 'service' | 'hooks';
  /** Told about records that could not be written where the caller cannot be (fire-and-forget paths). */
  onError?: (err: unknown, action: string) => void;
  /** Clock for network aggregation (tests). */
  nowMs?: () => number;
  networkFlushMs?: number;
}

export class AuditHooks implements SandboxHooks {
  private readonly network: NetworkAggregator;
  private readonly onError: (err: unknown, action: string) => void;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly lifecycle: 'service' | 'hooks';
  private readonly pendingCreates = new Map<string, Record<string, unknown>>();

  constructor(readonly log: AuditLog, opts: AuditHooksOptions = {}, private readonly ownsLog = false) {
    this.onError = opts.onError ?? (() => undefined);
    this.lifecycle = opts.lifecycle ?? 'service';
    this.network = new NetworkAggregator(
      (s) => this.record('paddockd', AuditAction.Network, s.sandbox, { host: s.host, minute: s.minute, allowed: s.allowed, denied: s.denied, bytes: s.bytes }),
      opts.nowMs,
      opts.networkFlushMs ?? NETWORK_FLUSH_MS,
    );
  }

  /** Open the log under `<stateDir>/audit/`; close() closes it. */
  static async open(stateDir: string, opts: AuditHooksOptions = {}): Promise<AuditHooks> {
    return new AuditHooks(await AuditLog.open(auditDirOf(stateDir), opts), opts, true);
  }

  /** Fire-and-forget (SandboxHooks.record): failures go to onError, never vanish. */
  record(actor: string, action: string, sandbox: string | null, details: Record<string, unknown>): void {
    let d = details;
    if (action === AuditAction.Create && sandbox !== null) {
      const spec = this.pendingCreates.get(sandbox);
      if (spec) {
        this.pendingCreates.delete(sandbox);
        d = { ...spec, ...details };
      }
    }
    this.track(this.log.record(actor, action, sandbox, d), action);
  }

  private track(p: Promise<unknown>, action: string): void {
    const t = p.catch((e: unknown) => this.onError(e, action)).finally(() => this.inFlight.delete(t));
    this.inFlight.add(t);
  }

  async afterCreate(spec: SandboxSpec, containerId: string, ctx: CreateContext): Promise<void> {
    const details: Record<string, unknown> = {
      containerId,
      agent: spec.agent,
      workspace: spec.workspace,
      image: spec.image,
      isolation: spec.isolation,
      runtime: spec.runtime,
      network: spec.network,
      allowHosts: spec.allowHosts,
      mounts: spec.mounts,
      cpus: spec.cpus,
      memoryBytes: spec.memoryBytes,
      pids: spec.pids,
      autonomy: spec.autonomy,
      // -e values may hold credentials: names only.
      envNames: Object.keys(ctx.request.env ?? {}).sort(),
    };
    if (this.lifecycle === 'hooks') {
      // Awaited: a sandbox the log cannot record is not created (the service cleans up).
      await this.log.record(ctx.actor, AuditAction.Create, spec.name, details);
      return;
    }
    this.pendingCreates.set(spec.name, details);
    if (this.pendingCreates.size > MAX_PENDING_CREATES) this.pendingCreates.delete(this.pendingCreates.keys().next().value!);
  }

  async afterStart(info: SandboxInfo, containerId: string): Promise<void> {
    if (this.lifecycle === 'hooks') this.record('paddockd', AuditAction.Start, info.name, { containerId });
  }

  async afterUpdate(info: SandboxInfo, change: UpdateSandboxRequest, actor: Actor): Promise<void> {
    if (this.lifecycle === 'hooks') this.record(actor, AuditAction.Update, info.name, { change });
  }

  async afterStop(info: SandboxInfo): Promise<void> {
    if (this.lifecycle === 'hooks') this.record('paddockd', AuditAction.Stop, info.name, {});
  }

  async beforeRemove(info: SandboxInfo): Promise<void> {
    this.pendingCreates.delete(info.name);
    if (this.lifecycle === 'hooks') this.record('paddockd', AuditAction.Remove, info.name, { agent: info.agent, workspace: info.workspace });
  }

  /** One call per proxied request; written as one record per sandbox, host and minute. */
  recordNetworkDecision(sandbox: string, host: string, allowed: boolean, bytes: number): void {
    this.network.add(sandbox, host, allowed, bytes);
  }

  /** A secret was handed to a sandbox. The name only: values never reach the log. */
  recordSecretUse(actor: AuditActorName, sandbox: string, secretName: string, mode: 'proxy' | 'file' | 'env'): void {
    this.record(actor, AuditAction.SecretUse, sandbox, { secret: secretName, mode });
  }

  /** Flush network summaries and pending records; closes the log if this object opened it. */
  async close(): Promise<void> {
    this.network.dispose();
    await Promise.all([...this.inFlight]);
    await this.log.drain();
    if (this.ownsLog) await this.log.close();
  }
}
