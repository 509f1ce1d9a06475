/**
 * One call wires policy into paddockd (see daemon/features.ts): the service (watching the files),
 * the sandbox hooks, the routes. Pass the audit log so refusals and changes are recorded.
 */
import type { Actor, AppContext, RouteModule } from '../api/context.js';
import type { SandboxInfo } from '../core/protocol.js';
import type { SandboxHooks } from '../sandboxes/hooks.js';
import { POLICY_SERVICE, registerPolicyRoutes } from './routes.js';
import { PolicyService } from './service.js';

/** Stops made by policy show up as this actor in the service's own lifecycle record (paddockd is not an API Actor). */
const POLICY_STOP_ACTOR: Actor = 'api';

export async function registerPolicyFeature(
  ctx: AppContext,
  sandboxes: { addHooks(h: SandboxHooks): void; list(): Promise<SandboxInfo[]>; stop(name: string, actor?: Actor): Promise<unknown> },
  modules: RouteModule[],
  stopHooks: (() => Promise<void>)[],
  audit?: { record(actor: string, action: string, sandbox: string | null, details: Record<string, unknown>): void },
): Promise<PolicyService> {
  const policy = await PolicyService.start({
    configDir: ctx.paths.configDir,
    listSandboxes: () => sandboxes.list(),
    stopSandbox: async (name) => {
      await sandboxes.stop(name, POLICY_STOP_ACTOR);
    },
    ...(audit ? { record: (actor: string, action: string, sandbox: string | null, details: Record<string, unknown>) => audit.record(actor, action, sandbox, details) } : {}),
    events: ctx.events,
    log: ctx.log,
  });
  ctx.services[POLICY_SERVICE] = policy;
  sandboxes.addHooks(policy);
  modules.push(registerPolicyRoutes);
  // First in line at shutdown: a reload in flight may still write to the audit log, which closes later.
  stopHooks.unshift(() => policy.dispose());
  // Sandboxes that survived a paddockd restart are checked against the policy as it is now.
  void policy.recheck().catch((err: unknown) => ctx.log.warn({ err: String(err) }, 'policy: initial re-check failed'));
  return policy;
}
