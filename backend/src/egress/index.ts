/**
 * The egress module's public surface and its one-call wiring into paddockd:
 *
 *   // daemon/features.ts, before the secrets hooks (secrets appends to the NO_PROXY egress sets)
 *   const egress = registerEgress(ctx, sandboxes, modules, { startHooks, stopHooks });
 *   // secrets: new SecretsService({ …, injector: injectorFor(egress) })
 *   // policy:  pass `overrides: { policy }` (PolicyService.checkAllowHosts; deniedHosts() when it offers one)
 *   // audit:   egress.followLog(null, (d) => aggregator.add(d.sandbox, d.host, d.allowed, d.bytesUp + d.bytesDown))
 */
import type { AppContext, RouteModule } from '../api/context.js';
import type { SandboxHooks } from '../sandboxes/hooks.js';
import { registerNetworkRoutes } from './routes.js';
import { EgressService, type EgressServiceOptions } from './service.js';

export { EgressService, type EgressServiceOptions } from './service.js';
export { registerNetworkRoutes } from './routes.js';
export { CREDENTIAL_PORT, PROXY_PORT, type CredentialRule, type DecisionRecord } from './proxy/control-protocol.js';

export interface Lifecycle {
  startHooks: Array<() => Promise<void>>;
  stopHooks: Array<() => Promise<void>>;
}

export function registerEgress(
  ctx: AppContext,
  sandboxes: { addHooks(h: SandboxHooks): void },
  modules: RouteModule[],
  lifecycle: Lifecycle,
  overrides: Partial<EgressServiceOptions> = {},
): EgressService {
  const egress = new EgressService({
    engine: ctx.engine,
    log: ctx.log,
    stateDir: ctx.paths.stateDir,
    settingsDir: ctx.paths.settingsDir,
    extraLabels: ctx.extraLabels,
    onProgress: (line) => ctx.log.info({ build: line }, 'building the egress proxy image'),
    ...overrides,
  });
  ctx.services.egress = egress;
  sandboxes.addHooks(egress);
  modules.push(registerNetworkRoutes);
  // Not awaited by paddockd's startup path: the first image build takes a minute; creates wait for it.
  lifecycle.startHooks.push(async () => void egress.start().catch(() => undefined));
  lifecycle.stopHooks.push(() => egress.dispose());
  return egress;
}
