/**
 * Extension points of the sandbox lifecycle. Feature modules (egress, secrets, policy, audit)
 * register hooks; the sandbox service calls them in order. A hook that throws a PaddockError
 * aborts the operation (create/update) and the service cleans up what it had made.
 */
import type { Actor } from '../api/context.js';
import type { CreateSandboxRequest, SandboxInfo, UpdateSandboxRequest } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { SubnetPlan } from '../core/subnets.js';

export interface CreateContext {
  actor: Actor;
  request: CreateSandboxRequest;
  /** The sandbox's internal network plan (subnet, gateway, proxy and sandbox addresses). */
  plan: SubnetPlan;
}

export interface SandboxHooks {
  /** Before the container is created: may refuse (policy), add env/mounts/dns to `spec`. */
  beforeCreate?(spec: SandboxSpec, ctx: CreateContext): Promise<void>;
  /** After the container and its network exist, before it starts (e.g. attach the egress proxy). */
  afterCreate?(spec: SandboxSpec, containerId: string, ctx: CreateContext): Promise<void>;
  /** Before a stopped sandbox starts (also right after create): may refuse it (policy). */
  beforeStart?(info: SandboxInfo, actor: Actor): Promise<void>;
  /** After every start (create+start, or start of a stopped sandbox). */
  afterStart?(info: SandboxInfo, containerId: string): Promise<void>;
  /** Before a live settings change is applied: may refuse it (policy). */
  beforeUpdate?(info: SandboxInfo, change: UpdateSandboxRequest, actor: Actor): Promise<void>;
  /** After a live change was applied. */
  afterUpdate?(info: SandboxInfo, change: UpdateSandboxRequest, actor: Actor): Promise<void>;
  afterStop?(info: SandboxInfo): Promise<void>;
  /** Before removal; release whatever the module holds for this sandbox. */
  beforeRemove?(info: SandboxInfo): Promise<void>;
  /** Lifecycle records for the audit log. */
  record?(actor: Actor, action: string, sandbox: string | null, details: Record<string, unknown>): void;
}
