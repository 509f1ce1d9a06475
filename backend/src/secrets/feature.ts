/**
 * One call wires secrets into paddockd (daemon/features.ts), after the egress module:
 *
 *   // daemon/main.ts: one masker shared by the logger and the secrets module
 *   const masker = new SecretMasker();
 *   const log = pino({ level, hooks: maskingLogHooks(masker) }, destination);
 *   // daemon/features.ts
 *   const egress = registerEgress(ctx, sandboxes, modules, { startHooks, stopHooks });
 *   const audit = await registerAuditFeature(ctx, sandboxes, modules, startHooks, stopHooks);
 *   registerSecretsFeature(ctx, sandboxes, modules, { startHooks, stopHooks }, { masker, egress, audit });
 */
import type { AppContext, RouteModule } from '../api/context.js';
import type { SandboxHooks } from '../sandboxes/hooks.js';
import { injectorFor, type CredentialTarget } from './injector.js';
import type { SecretMasker } from './mask.js';
import { registerSecretRoutes } from './routes.js';
import { SecretsService, type AuditSink } from './service.js';

export const SECRETS_SERVICE = 'secrets'; // the key in AppContext.services that the routes read

export interface SecretsFeatureDeps {
  /** The masker the logger was built with (maskingLogHooks); without it logs are not masked. */
  masker?: SecretMasker;
  /** The egress module (EgressService); without it proxy mode is refused with a clear message. */
  egress?: CredentialTarget;
  audit?: AuditSink;
}

export function registerSecretsFeature(
  ctx: AppContext,
  sandboxes: { addHooks(h: SandboxHooks): void },
  modules: RouteModule[],
  lifecycle: { startHooks: Array<() => Promise<void>>; stopHooks: Array<() => Promise<void>> },
  deps: SecretsFeatureDeps = {},
): SecretsService {
  const secrets = new SecretsService({
    engine: ctx.engine,
    paths: ctx.paths,
    log: ctx.log,
    extraLabels: ctx.extraLabels,
    ...(deps.masker ? { masker: deps.masker } : {}),
    ...(deps.egress ? { injector: injectorFor(deps.egress) } : {}),
    ...(deps.audit ? { audit: deps.audit } : {}),
  });
  ctx.services[SECRETS_SERVICE] = secrets;
  sandboxes.addHooks(secrets);
  modules.push(registerSecretRoutes);
  // The proxy keeps credentials in memory only: after a paddockd restart, hand running sandboxes theirs again.
  lifecycle.startHooks.push(() => secrets.restore().catch((err: unknown) => ctx.log.warn({ err: String(err) }, 'could not restore proxy credentials')));
  return secrets;
}
