/** The io.paddock.* labels that let a restarted paddockd rediscover every sandbox. Pure. */
import { z } from 'zod';
import { Isolation, Mount, NetworkMode } from './protocol.js';

export const LABEL_PREFIX = 'io.paddock.';
export const Label = {
  Managed: 'io.paddock.managed',
  Sandbox: 'io.paddock.sandbox',
  Agent: 'io.paddock.agent',
  Workspace: 'io.paddock.workspace',
  Spec: 'io.paddock.spec',
  Kind: 'io.paddock.kind', // sandbox | network | home | egress
  Test: 'io.paddock.test', // set on everything a test run creates, for the reaper
} as const;

export const LABEL_SPEC_VERSION = 1;

/** The immutable part of a sandbox's spec, stored as JSON in the io.paddock.spec label. */
export const SandboxLabelSpec = z.object({
  v: z.literal(LABEL_SPEC_VERSION),
  name: z.string(),
  agent: z.string(),
  workspace: z.string(),
  image: z.string(),
  isolation: Isolation,
  network: NetworkMode,
  allowHosts: z.array(z.string()),
  mounts: z.array(Mount),
  cpus: z.number(),
  memoryBytes: z.number(),
  pids: z.number(),
  autonomy: z.boolean(),
  uid: z.number().int(),
  gid: z.number().int(),
  agentArgs: z.array(z.string()),
  homeVolume: z.string(),
  networkName: z.string().nullable(),
  createdAt: z.string(),
});
export type SandboxLabelSpec = z.infer<typeof SandboxLabelSpec>;

export function encodeSpecLabel(spec: SandboxLabelSpec): string {
  return JSON.stringify(spec);
}

export function decodeSpecLabel(raw: string | undefined): SandboxLabelSpec | null {
  if (!raw) return null;
  try {
    const parsed = SandboxLabelSpec.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
