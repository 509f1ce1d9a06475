/**
 * Per-sandbox network (egress) in Paddock's protocol: the REST bodies of
 * /api/v1/sandboxes/:name/network… and what they answer. Pure (no Node). To be merged into
 * protocol.ts when it settles; UI, CLI and paddockd import it from here until then.
 */
import { z } from 'zod';
import { NetworkMode } from './protocol.js';

export const MAX_RULES = 512; // same ceiling as CreateSandboxRequest.allowHosts

export const RuleActionSchema = z.enum(['allow', 'deny']);

/** Where a rule came from: the agent's preset, a host group (`group:npm`), or the user. */
export const NetworkRule = z.object({
  action: RuleActionSchema,
  rule: z.string(),
  source: z.string(),
});
export type NetworkRule = z.infer<typeof NetworkRule>;

export const HostCounters = z.object({ allowed: z.number(), denied: z.number(), bytes: z.number() });

export const NetworkCounters = z.object({
  allowed: z.number(),
  denied: z.number(),
  bytesUp: z.number(),
  bytesDown: z.number(),
  hosts: z.record(z.string(), HostCounters),
});
export type NetworkCounters = z.infer<typeof NetworkCounters>;

/** GET /api/v1/sandboxes/:name/network (and the answer of every change). */
export const NetworkInfo = z.object({
  name: z.string(),
  mode: NetworkMode,
  rules: z.array(NetworkRule),
  /** Editable presets: the agent's own hosts and the optional host groups (`@npm`, …). */
  presets: z.object({ agent: z.array(z.string()), groups: z.record(z.string(), z.array(z.string()).readonly()) }),
  counters: NetworkCounters,
  proxy: z.object({ address: z.string(), httpProxy: z.string(), credentialBase: z.string(), running: z.boolean() }),
});
export type NetworkInfo = z.infer<typeof NetworkInfo>;

/** PUT …/network/mode */
export const SetNetworkModeRequest = z.object({ mode: NetworkMode });

/** POST …/network/rules — `rule` may be a host group such as `@npm`. */
export const AddNetworkRuleRequest = z.object({ action: RuleActionSchema, rule: z.string().min(1).max(300) });

/** DELETE …/network/rules?rule=… (or the same as a JSON body). */
export const RemoveNetworkRuleRequest = z.object({ rule: z.string().min(1).max(300) });

/** PUT …/network/rules — the dashboard's form replaces the whole list. */
export const ReplaceNetworkRulesRequest = z.object({
  rules: z.array(z.object({ action: RuleActionSchema, rule: z.string().min(1).max(300), source: z.string().optional() })).max(MAX_RULES),
});

/** One decision of the egress proxy (GET …/network/log; one per `data:` line with ?follow=1). */
export const NetworkDecision = z.object({
  seq: z.number(),
  time: z.string(),
  sandbox: z.string(),
  kind: z.enum(['connect', 'http', 'credential']),
  method: z.string(),
  host: z.string(),
  port: z.number(),
  address: z.string().nullable(),
  allowed: z.boolean(),
  rule: z.string().nullable(),
  reason: z.string(),
  bytesUp: z.number(),
  bytesDown: z.number(),
  durationMs: z.number(),
  status: z.number().optional(),
});
export type NetworkDecision = z.infer<typeof NetworkDecision>;
