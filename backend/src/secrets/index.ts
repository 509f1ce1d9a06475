/** The secrets module's public surface: what paddockd's wiring and the egress module import. */
export { SecretsService, SecretAuditAction, type AuditSink, type SecretsServiceOptions } from './service.js';
export { registerSecretRoutes } from './routes.js';
export { SecretMasker, maskingLogHooks, MIN_MASKED_LENGTH } from './mask.js';
export { REVERSE_PROXY_PORT, credentialRuleOf, injectorFor, type CredentialInjector, type CredentialTarget, type InjectionRule } from './injector.js';
export { PROXY_PRESETS, PLACEHOLDER_PREFIX } from './presets.js';
export { sharedLoginPlan, credsVolumeName, type VolumeMount } from './shared-login.js';
export { registerSecretsFeature, SECRETS_SERVICE, type SecretsFeatureDeps } from './feature.js';
