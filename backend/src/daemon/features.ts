/**
 * Feature modules (audit, policy, egress, secrets) plug in here: each may add sandbox hooks,
 * route modules, and start/stop hooks. Kept apart from main.ts so features land independently.
 * Order matters: audit first (others record into it), policy before anything that creates,
 * egress before secrets (proxy-mode secrets ride on the egress proxy and extend its NO_PROXY).
 */
import type { AppContext, RouteModule } from '../api/context.js';
import { registerAuditFeature } from '../audit/feature.js';
import { Label } from '../core/labels.js';
import { DEFAULT_SUBNET_POOL } from '../core/subnets.js';
import { registerEgress } from '../egress/index.js';
import { registerPolicyFeature } from '../policy/feature.js';
import { HostGuard } from '../sandboxes/host-guard.js';
import type { SandboxService } from '../sandboxes/service.js';
import { registerSecretsFeature } from '../secrets/feature.js';
import { SecretMasker } from '../secrets/mask.js';

export const startHooks: (() => Promise<void>)[] = [];
export const stopHooks: (() => Promise<void>)[] = [];

/** One masker shared by paddockd's logger and the secrets module: logs never carry a value. */
export const logMasker = new SecretMasker();

export async function registerFeatures(ctx: AppContext, sandboxes: SandboxService, modules: RouteModule[]): Promise<void> {
  // Host firewall guard first: no sandbox may start before host services are out of its reach.
  const hostGuard = new HostGuard({ pools: [DEFAULT_SUBNET_POOL], log: ctx.log });
  hostGuard.start();
  stopHooks.push(async () => hostGuard.stop()); // stops re-checking only: the guard stays installed
  ctx.services.hostGuard = hostGuard;
  sandboxes.addHooks({ beforeCreate: async () => void hostGuard.ensure(), afterStart: async () => void hostGuard.ensure() });
  const audit = await registerAuditFeature(ctx, sandboxes, modules, startHooks, stopHooks);
  const policy = await registerPolicyFeature(ctx, sandboxes, modules, stopHooks, audit);
  // A test or bench paddockd (own state dir, own control token) gets its own proxy, so it never
  // recreates the proxy of the user's paddockd or of another run.
  const run = ctx.extraLabels[Label.Test];
  const scoped = run ? { containerName: `paddock-egress-${run}`, outboundNetwork: `paddock-egress-out-${run}` } : {};
  const egress = registerEgress(ctx, sandboxes, modules, { startHooks, stopHooks }, { policy, ...scoped });
  // network decisions reach the audit log aggregated per host per minute
  egress.followLog(null, (d) => audit.recordNetworkDecision(d.sandbox, d.host, d.allowed, d.bytesUp + d.bytesDown));
  registerSecretsFeature(ctx, sandboxes, modules, { startHooks, stopHooks }, { masker: logMasker, egress, audit });
}
