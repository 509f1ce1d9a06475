/**
 * Paddock's pure core (backend/src/core), re-exported for the UI: the protocol module and the
 * few helpers the forms share with the CLI. Vite and tsc also resolve `@core/*`, but the root
 * vitest config has no such alias, so this one file reaches core by relative path and
 * everything in ui/ imports from here.
 */
export * from '../../backend/src/core/protocol';
export { formatBytes, MIN_MEMORY_BYTES, parseCpus, parseMemory, parsePids } from '../../backend/src/core/sizes';
export { HOST_GROUPS } from '../../backend/src/core/agents';
export * from '../../backend/src/core/secrets-protocol';
export * from '../../backend/src/core/policy-protocol';
