/**
 * One call wires the audit log into paddockd (see daemon/features.ts): the service, the sandbox
 * hooks, the routes, and records of paddockd starting and stopping.
 */
import type { AppContext, RouteModule } from '../api/context.js';
import type { SandboxHooks } from '../sandboxes/hooks.js';
import { PADDOCK_VERSION } from '../daemon/version.js';
import { AuditAction, AuditHooks } from './hooks.js';
import { AUDIT_SERVICE, registerAuditRoutes } from './routes.js';

export async function registerAuditFeature(
  ctx: AppContext,
  sandboxes: { addHooks(h: SandboxHooks): void },
  modules: RouteModule[],
  startHooks: (() => Promise<void>)[],
  stopHooks: (() => Promise<void>)[],
): Promise<AuditHooks> {
  const audit = await AuditHooks.open(ctx.paths.stateDir, {
    onError: (err, action) => ctx.log.error({ err: String(err), action }, 'audit record could not be written'),
  });
  for (const r of audit.log.repairs) ctx.log.warn({ action: r.action, details: r.details }, 'audit log: damage found at the tail on start (recorded in the log)');
  ctx.services[AUDIT_SERVICE] = audit;
  sandboxes.addHooks(audit);
  modules.push(registerAuditRoutes);
  startHooks.push(async () => {
    await audit.log.record('paddockd', AuditAction.DaemonStart, null, { pid: process.pid, version: PADDOCK_VERSION });
  });
  stopHooks.push(async () => {
    await audit.log.record('paddockd', AuditAction.DaemonStop, null, { pid: process.pid }).catch(() => undefined);
    await audit.close();
  });
  return audit;
}
