/** The launch form's rules, as pure functions: defaults, validation, and the request it sends. */
import {
  CreateSandboxRequest,
  parseCpus,
  parseMemory,
  parsePids,
  SANDBOX_NAME_RE,
  type AgentInfo,
  type Isolation,
  type NetworkMode,
  type RuntimeInfo,
  type SandboxInfo,
} from '../../core';
import { validateRows, type AttachmentRow } from '../secrets/secrets-form';

export interface LaunchValues {
  workspace: string;
  agent: string;
  /** Empty: paddockd picks `<agent>-<workspace dir>`. */
  name: string;
  isolation: Isolation;
  network: NetworkMode;
  allowHosts: string[];
  /** Empty strings mean "paddockd's default". */
  cpus: string;
  memory: string;
  pids: string;
  autonomy: boolean;
  /** Create a second sandbox even when one exists for this workspace and agent. */
  createNew: boolean;
  /** Secrets to attach, each with its injection mode. */
  secrets: AttachmentRow[];
}

export type LaunchErrors = Partial<Record<keyof LaunchValues | 'form', string>>;

export function initialLaunchValues(opts: { workspace?: string; agent?: AgentInfo; runtimes: RuntimeInfo[] }): LaunchValues {
  return {
    workspace: opts.workspace ?? '',
    agent: opts.agent?.name ?? '',
    name: '',
    isolation: firstAvailableIsolation(opts.runtimes),
    network: 'allowlist',
    allowHosts: opts.agent ? [...opts.agent.hosts] : [],
    cpus: '',
    memory: '',
    pids: '',
    autonomy: true,
    createNew: false,
    secrets: [],
  };
}

/** `container` when the engine has it (it always should), else the first one that is available. */
export function firstAvailableIsolation(runtimes: RuntimeInfo[]): Isolation {
  const ok = runtimes.filter((r) => r.available);
  return ok.find((r) => r.isolation === 'container')?.isolation ?? ok[0]?.isolation ?? 'container';
}

/** Switching agent swaps in the new agent's preset hosts, keeping hosts the user added by hand. */
export function hostsForAgentChange(current: string[], from: AgentInfo | undefined, to: AgentInfo | undefined): string[] {
  const preset = new Set(from?.hosts ?? []);
  const added = current.filter((h) => !preset.has(h));
  return dedupe([...(to?.hosts ?? []), ...added]);
}

const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;

/** A DNS name, optionally `*.`-prefixed and with a port: what the egress allowlist understands. */
export function hostError(host: string): string | null {
  const h = host.trim().toLowerCase();
  if (h === '') return 'Empty host.';
  if (/^[a-z]+:\/\//.test(h)) return `"${host}": give the host name only, without http:// or https://.`;
  if (h.includes('/')) return `"${host}": give the host name only, without a path.`;
  if (h.length > 253 || !HOST_RE.test(h)) return `"${host}" is not a host name (e.g. api.example.com or *.example.com).`;
  return null;
}

export function normalizeHost(host: string): string {
  return host.trim().toLowerCase();
}

export function dedupe(hosts: string[]): string[] {
  return [...new Set(hosts.map(normalizeHost).filter(Boolean))];
}

/** The existing sandbox paddockd would reuse for this workspace and agent, if any. */
export function reusableSandbox(sandboxes: SandboxInfo[], workspace: string, agent: string): SandboxInfo | undefined {
  const ws = workspace.replace(/\/+$/, '');
  return sandboxes.find((s) => s.agent === agent && s.workspace.replace(/\/+$/, '') === ws);
}

/** Resource fields shared with the settings drawer; each returns a message or null. */
export function cpusError(v: string): string | null {
  return tryParse(() => parseCpus(v));
}
export function memoryError(v: string): string | null {
  return tryParse(() => parseMemory(v));
}
export function pidsError(v: string): string | null {
  return tryParse(() => parsePids(v));
}

function tryParse(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    // core's messages are written for the CLI ("--memory 2g"); drop the flag names for the form.
    return (e instanceof Error ? e.message : String(e)).replace(/--[a-z]+ /g, '');
  }
}

export interface LaunchContext {
  agents: AgentInfo[];
  runtimes: RuntimeInfo[];
  sandboxes: SandboxInfo[];
}

export function validateLaunch(
  v: LaunchValues,
  ctx: LaunchContext,
): { errors: LaunchErrors; secretErrors: Record<number, string>; request: CreateSandboxRequest | null } {
  const errors: LaunchErrors = {};
  const secrets = validateRows(v.secrets, v.network);
  if (!secrets.attachments) errors.secrets = secrets.listError ?? 'Fix the secrets marked below.';
  if (!v.workspace) errors.workspace = 'Pick a workspace (add one on the Workspaces page first).';
  if (!v.agent) errors.agent = 'Pick an agent.';
  else if (!ctx.agents.some((a) => a.name === v.agent)) errors.agent = `Unknown agent "${v.agent}".`;
  const name = v.name.trim();
  if (name && !SANDBOX_NAME_RE.test(name)) errors.name = 'Use letters, digits, _ . - (start with a letter or digit, at most 63 characters).';
  else if (name && ctx.sandboxes.some((s) => s.name === name)) errors.name = `A sandbox named "${name}" already exists.`;
  const rt = ctx.runtimes.find((r) => r.isolation === v.isolation);
  if (rt && !rt.available) errors.isolation = rt.reason ?? `${v.isolation} isolation is not available on this engine.`;
  if (v.network === 'allowlist') {
    const bad = v.allowHosts.map(hostError).find((e) => e !== null);
    if (bad) errors.allowHosts = bad;
  }
  if (v.cpus.trim()) errors.cpus = cpusError(v.cpus) ?? undefined;
  if (v.memory.trim()) errors.memory = memoryError(v.memory) ?? undefined;
  if (v.pids.trim()) errors.pids = pidsError(v.pids) ?? undefined;
  for (const k of Object.keys(errors) as (keyof LaunchErrors)[]) if (errors[k] === undefined) delete errors[k];
  if (Object.keys(errors).length > 0) return { errors, secretErrors: secrets.rowErrors, request: null };

  const req: CreateSandboxRequest = {
    agent: v.agent,
    workspace: v.workspace,
    network: v.network,
    isolation: v.isolation,
    autonomy: v.autonomy,
  };
  if (name) req.name = name;
  if (v.network === 'allowlist') req.allowHosts = dedupe(v.allowHosts);
  if (v.cpus.trim()) req.cpus = parseCpus(v.cpus);
  if (v.memory.trim()) req.memory = parseMemory(v.memory);
  if (v.pids.trim()) req.pids = parsePids(v.pids);
  if (secrets.attachments?.length) req.secrets = secrets.attachments;
  // An explicit new name, or the checkbox, means "another sandbox", not "open the existing one".
  if (v.createNew || (name && reusableSandbox(ctx.sandboxes, v.workspace, v.agent))) req.reuse = false;
  const checked = CreateSandboxRequest.safeParse(req);
  if (!checked.success) return { errors: { form: checked.error.issues[0]?.message ?? 'Invalid request.' }, secretErrors: {}, request: null };
  return { errors: {}, secretErrors: {}, request: checked.data };
}
