/**
 * Feature modules (audit, policy, egress, secrets) plug in here: each may add sandbox hooks,
 * route modules, and start/stop hooks. Kept apart from main.ts so features land independently.
 * Order matters: audit first (others record into it), policy before anything that creates.
 */
import type { AppContext, RouteModule } from '../api/context.js';
import { registerAuditFeature } from '../audit/feature.js';
import { registerPolicyFeature } from '../policy/feature.js';
import type { SandboxService } from '../sandboxes/service.js';

export const startHooks: (() => Promise<void>)[] = [];
export const stopHooks: (() => Promise<void>)[] = [];

export async function registerFeatures(ctx: AppContext, sandboxes: SandboxService, modules: RouteModule[]): Promise<void> {
  const audit = await registerAuditFeature(ctx, sandboxes, modules, startHooks, stopHooks);
  await registerPolicyFeature(ctx, sandboxes, modules, stopHooks, audit);
}
