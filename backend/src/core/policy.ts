/**
 * Policy: the file schema, merging a user file with an organization file (the org wins; every
 * value remembers the file it came from) and `evaluate`, a pure function returning every
 * violation of a request with its rule, source file and what to do. Table-tested in policy.test.ts.
 */
import { z } from 'zod';
import { AGENT_NAME_RE, Isolation, NetworkMode, type CreateSandboxRequest, type Mount, type SandboxInfo, type UpdateSandboxRequest } from './protocol.js';
import type { PolicyFileError, SourcedValue, Violation } from './policy-protocol.js';
import { isUnder, normalizeAbsolute, workspaceRefusal } from './paths.js';
import { parseCpus, parseMemory, parsePids, formatBytes } from './sizes.js';
import { DEFAULT_RESOURCES } from './spec.js';

export type { Violation } from './policy-protocol.js';

export const BUILTIN_SOURCE = 'built-in';

export const OnViolation = z.enum(['stop', 'flag']);
export type OnViolation = z.infer<typeof OnViolation>;
/** Flag rather than stop by default: stopping kills an agent mid-task, a choice a lead makes on purpose. */
export const DEFAULT_ON_VIOLATION: OnViolation = 'flag';

// ------------------------------------------------------------------------------- file schema

const PathEntry = z.string().min(1).refine((p) => p.startsWith('/') || p === '~' || p.startsWith('~/'), 'paths must be absolute or start with ~/');
const SizeEntry = z.union([z.string(), z.number()]);
const ResourceSet = z
  .object({
    cpus: z.union([z.string(), z.number()]).optional(),
    memory: SizeEntry.optional(),
    pids: z.union([z.string(), z.number()]).optional(),
  })
  .strict();
const HostEntry = z.string().min(1).max(253);

/** policy.yaml as written. Unknown keys are errors, so a typo never silently drops a rule. */
export const PolicyFile = z
  .object({
    version: z.literal(1).optional(),
    agents: z.object({ allow: z.array(z.string().regex(AGENT_NAME_RE, 'agent names are lowercase letters, digits and dashes')).optional() }).strict().optional(),
    images: z.object({ allow: z.array(z.string().min(1)).optional() }).strict().optional(),
    workspaces: z.object({ roots: z.array(PathEntry).optional(), forbid: z.array(PathEntry).optional() }).strict().optional(),
    isolation: z.object({ allow: z.array(Isolation).min(1, 'allow at least one isolation level').optional(), default: Isolation.optional() }).strict().optional(),
    resources: z.object({ max: ResourceSet.optional(), default: ResourceSet.optional() }).strict().optional(),
    network: z.object({ default: NetworkMode.optional(), allowOpen: z.boolean().optional(), denyHosts: z.array(HostEntry).optional() }).strict().optional(),
    secrets: z.object({ allowEnv: z.boolean().optional() }).strict().optional(),
    sandboxes: z.object({ maxConcurrent: z.number().int().min(0).optional() }).strict().optional(),
    onViolation: OnViolation.optional(),
  })
  .strict();
export type PolicyFile = z.infer<typeof PolicyFile>;

// --------------------------------------------------------------------------- effective policy

export interface Sourced<T> {
  value: T;
  source: string;
}

/** A policy from one file, or the merge of several. Absent = unrestricted. */
export interface Policy {
  agents?: Sourced<string[]>;
  images?: Sourced<string[]>;
  workspaceRoots?: Sourced<string[]>;
  /** Combined from every file: a path forbidden anywhere stays forbidden. */
  forbiddenPaths: Sourced<string>[];
  isolationAllow?: Sourced<Isolation[]>;
  isolationDefault?: Sourced<Isolation>;
  maxCpus?: Sourced<number>;
  maxMemoryBytes?: Sourced<number>;
  maxPids?: Sourced<number>;
  defaultCpus?: Sourced<number>;
  defaultMemoryBytes?: Sourced<number>;
  defaultPids?: Sourced<number>;
  networkDefault?: Sourced<NetworkMode>;
  allowOpen?: Sourced<boolean>;
  /** Combined from every file: a host denied anywhere stays denied. */
  denyHosts: Sourced<string>[];
  allowEnvSecrets?: Sourced<boolean>;
  maxConcurrent?: Sourced<number>;
  onViolation: Sourced<OnViolation>;
}

export function emptyPolicy(): Policy {
  return { forbiddenPaths: [], denyHosts: [], onViolation: { value: DEFAULT_ON_VIOLATION, source: BUILTIN_SOURCE } };
}

/** A validation problem at a path inside the file (the loader turns paths into line numbers). */
export interface PolicyIssue {
  path: (string | number)[];
  message: string;
}

export function expandHome(p: string, homeDir: string | null): string {
  if (p === '~' || p.startsWith('~/')) {
    if (!homeDir) throw new Error('no home directory to expand ~ against');
    return normalizeAbsolute(homeDir + p.slice(1));
  }
  return normalizeAbsolute(p);
}

/**
 * Validate a parsed YAML document and turn it into a Policy whose values all carry `source`.
 * Returns issues (with paths into the document) instead of throwing, so all are shown at once.
 */
export function compilePolicyFile(data: unknown, source: string, homeDir: string | null): { policy: Policy | null; issues: PolicyIssue[] } {
  if (data === null || data === undefined) return { policy: emptyPolicy(), issues: [] };
  const parsed = PolicyFile.safeParse(data);
  if (!parsed.success) {
    const issues: PolicyIssue[] = [];
    for (const i of parsed.error.issues) {
      if (i.code === 'unrecognized_keys') {
        for (const k of i.keys) issues.push({ path: [...i.path, k], message: `unknown key "${k}" (check the spelling; see docs/policy.md)` });
      } else {
        issues.push({ path: i.path, message: i.message });
      }
    }
    return { policy: null, issues };
  }
  const f = parsed.data;
  const issues: PolicyIssue[] = [];
  const s = <T>(value: T): Sourced<T> => ({ value, source });
  const p: Policy = { forbiddenPaths: [], denyHosts: [], onViolation: { value: DEFAULT_ON_VIOLATION, source: BUILTIN_SOURCE } };

  const paths = (list: string[] | undefined, at: (string | number)[], root: boolean): string[] => {
    const out: string[] = [];
    (list ?? []).forEach((raw, i) => {
      let abs: string;
      try {
        abs = expandHome(raw, homeDir);
      } catch {
        issues.push({ path: [...at, i], message: `cannot expand "${raw}": paddockd has no home directory; write the absolute path` });
        return;
      }
      if (root) {
        // A root of `/`, the home directory itself or a system path would hand out the whole machine.
        const why = workspaceRefusal(abs, homeDir);
        if (why) {
          issues.push({ path: [...at, i], message: `"${raw}" cannot be a workspace root: ${why}. List project folders, e.g. ~/src` });
          return;
        }
      }
      out.push(abs);
    });
    return out;
  };

  if (f.agents?.allow) p.agents = s([...f.agents.allow]);
  if (f.images?.allow) p.images = s([...f.images.allow]);
  if (f.workspaces?.roots) p.workspaceRoots = s(paths(f.workspaces.roots, ['workspaces', 'roots'], true));
  if (f.workspaces?.forbid) p.forbiddenPaths = paths(f.workspaces.forbid, ['workspaces', 'forbid'], false).map(s);
  if (f.isolation?.allow) p.isolationAllow = s([...f.isolation.allow]);
  if (f.isolation?.default) p.isolationDefault = s(f.isolation.default);
  for (const kind of ['max', 'default'] as const) {
    const set = f.resources?.[kind];
    if (!set) continue;
    const at = ['resources', kind];
    const num = (key: 'cpus' | 'memory' | 'pids', parse: (v: string | number) => number): number | undefined => {
      const v = set[key];
      if (v === undefined) return undefined;
      try {
        return parse(v);
      } catch (e) {
        issues.push({ path: [...at, key], message: e instanceof Error ? e.message : String(e) });
        return undefined;
      }
    };
    const cpus = num('cpus', parseCpus);
    const mem = num('memory', parseMemory);
    const pids = num('pids', parsePids);
    if (kind === 'max') {
      if (cpus !== undefined) p.maxCpus = s(cpus);
      if (mem !== undefined) p.maxMemoryBytes = s(mem);
      if (pids !== undefined) p.maxPids = s(pids);
    } else {
      if (cpus !== undefined) p.defaultCpus = s(cpus);
      if (mem !== undefined) p.defaultMemoryBytes = s(mem);
      if (pids !== undefined) p.defaultPids = s(pids);
    }
  }
  if (f.network?.default) p.networkDefault = s(f.network.default);
  if (f.network?.allowOpen !== undefined) p.allowOpen = s(f.network.allowOpen);
  (f.network?.denyHosts ?? []).forEach((h, i) => {
    const entry = h.trim().toLowerCase().replace(/\.$/, '');
    if (!parseHostPattern(entry)) {
      issues.push({ path: ['network', 'denyHosts', i], message: `"${h}" is not a host name, *.domain, IP address or CIDR (e.g. 10.0.0.0/8)` });
      return;
    }
    p.denyHosts.push(s(entry));
  });
  if (f.secrets?.allowEnv !== undefined) p.allowEnvSecrets = s(f.secrets.allowEnv);
  if (f.sandboxes?.maxConcurrent !== undefined) p.maxConcurrent = s(f.sandboxes.maxConcurrent);
  if (f.onViolation) p.onViolation = s(f.onViolation);

  // Defaults that their own file forbids are mistakes worth pointing at the line.
  if (p.isolationDefault && p.isolationAllow && !p.isolationAllow.value.includes(p.isolationDefault.value)) {
    issues.push({ path: ['isolation', 'default'], message: `default "${p.isolationDefault.value}" is not in isolation.allow (${p.isolationAllow.value.join(', ')})` });
  }
  const over = (d: Sourced<number> | undefined, m: Sourced<number> | undefined, key: string, fmt: (n: number) => string): void => {
    if (d && m && d.value > m.value) issues.push({ path: ['resources', 'default', key], message: `default ${fmt(d.value)} is above resources.max.${key} ${fmt(m.value)}` });
  };
  over(p.defaultCpus, p.maxCpus, 'cpus', String);
  over(p.defaultMemoryBytes, p.maxMemoryBytes, 'memory', formatBytes);
  over(p.defaultPids, p.maxPids, 'pids', String);
  if (p.networkDefault?.value === 'open' && p.allowOpen?.value === false) {
    issues.push({ path: ['network', 'default'], message: 'default "open" contradicts allowOpen: false' });
  }
  return issues.length ? { policy: null, issues } : { policy: p, issues };
}

/**
 * Merge policies from lowest to highest precedence (user first, then org): a value set in a later
 * file replaces an earlier one; forbidden paths and denied hosts are combined from all files.
 */
export function mergePolicies(...layers: Policy[]): Policy {
  const out = emptyPolicy();
  for (const l of layers) {
    for (const key of SCALAR_KEYS) {
      const v = l[key];
      if (v !== undefined) (out as unknown as Record<string, unknown>)[key] = v;
    }
    if (l.onViolation.source !== BUILTIN_SOURCE) out.onViolation = l.onViolation;
    out.forbiddenPaths.push(...l.forbiddenPaths.filter((x) => !out.forbiddenPaths.some((y) => y.value === x.value)));
    out.denyHosts.push(...l.denyHosts.filter((x) => !out.denyHosts.some((y) => y.value === x.value)));
  }
  return out;
}

const SCALAR_KEYS = [
  'agents', 'images', 'workspaceRoots', 'isolationAllow', 'isolationDefault', 'maxCpus', 'maxMemoryBytes', 'maxPids',
  'defaultCpus', 'defaultMemoryBytes', 'defaultPids', 'networkDefault', 'allowOpen', 'allowEnvSecrets', 'maxConcurrent',
] as const satisfies readonly (keyof Policy)[];

/** Rule names as users write them in policy.yaml, for display and for Violation.rule. */
export const Rule = {
  Agents: 'agents.allow',
  Images: 'images.allow',
  WorkspaceRoots: 'workspaces.roots',
  WorkspaceForbid: 'workspaces.forbid',
  IsolationAllow: 'isolation.allow',
  IsolationDefault: 'isolation.default',
  MaxCpus: 'resources.max.cpus',
  MaxMemory: 'resources.max.memory',
  MaxPids: 'resources.max.pids',
  DefaultCpus: 'resources.default.cpus',
  DefaultMemory: 'resources.default.memory',
  DefaultPids: 'resources.default.pids',
  NetworkDefault: 'network.default',
  AllowOpen: 'network.allowOpen',
  DenyHosts: 'network.denyHosts',
  AllowEnvSecrets: 'secrets.allowEnv',
  MaxConcurrent: 'sandboxes.maxConcurrent',
  OnViolation: 'onViolation',
  /** A policy file could not be read: everything is refused until it is fixed. */
  Invalid: 'policy.file',
} as const;

/** The effective policy as a flat list of (rule, value, source), for `policy show`. */
export function describePolicy(p: Policy): SourcedValue[] {
  const out: SourcedValue[] = [];
  const add = (rule: string, v: Sourced<unknown> | undefined, fmt: (x: never) => unknown = (x) => x): void => {
    if (v) out.push({ rule, value: fmt(v.value as never), source: v.source });
  };
  add(Rule.Agents, p.agents);
  add(Rule.Images, p.images);
  add(Rule.WorkspaceRoots, p.workspaceRoots);
  for (const f of p.forbiddenPaths) add(Rule.WorkspaceForbid, f);
  add(Rule.IsolationAllow, p.isolationAllow);
  add(Rule.IsolationDefault, p.isolationDefault);
  add(Rule.MaxCpus, p.maxCpus);
  add(Rule.MaxMemory, p.maxMemoryBytes, formatBytes as (x: never) => unknown);
  add(Rule.MaxPids, p.maxPids);
  add(Rule.DefaultCpus, p.defaultCpus);
  add(Rule.DefaultMemory, p.defaultMemoryBytes, formatBytes as (x: never) => unknown);
  add(Rule.DefaultPids, p.defaultPids);
  add(Rule.NetworkDefault, p.networkDefault);
  add(Rule.AllowOpen, p.allowOpen);
  for (const h of p.denyHosts) add(Rule.DenyHosts, h);
  add(Rule.AllowEnvSecrets, p.allowEnvSecrets);
  add(Rule.MaxConcurrent, p.maxConcurrent);
  add(Rule.OnViolation, p.onViolation);
  return out;
}

// -------------------------------------------------------------------------------- evaluation

/** Everything evaluate() looks at, already resolved (absolute paths, bytes, defaults applied). */
export interface PolicyRequest {
  agent: string;
  /** Unknown in a dry run before the agent's image is resolved: the image rule is then skipped. */
  image?: string;
  workspace: string;
  mounts: readonly Mount[];
  isolation: Isolation;
  network: NetworkMode;
  allowHosts: readonly string[];
  cpus: number;
  memoryBytes: number;
  pids: number;
  /** Names of secrets injected as environment variables. */
  envSecrets?: readonly string[];
  /** Sandboxes running besides this one (for a running sandbox: those started before it). Omit to skip the check. */
  othersRunning?: number;
}

/** Every violation of `policy` by `req`, in rule order. Empty = allowed. */
export function evaluate(policy: Policy, req: PolicyRequest): Violation[] {
  const out: Violation[] = [];
  const v = (rule: string, source: string, message: string): void => {
    out.push({ rule, source, message });
  };

  if (policy.agents && !policy.agents.value.includes(req.agent)) {
    v(Rule.Agents, policy.agents.source, `Agent "${req.agent}" is not allowed; ${Rule.Agents} permits ${listOrNone(policy.agents.value)}. Use one of those, or ask the owner of ${policy.agents.source} to add it.`);
  }
  if (policy.images && req.image !== undefined && !policy.images.value.some((g) => globMatch(g, req.image!))) {
    v(Rule.Images, policy.images.source, `Image "${req.image}" is not allowed; ${Rule.Images} permits ${listOrNone(policy.images.value)}. Use an agent whose image matches, or ask the owner of ${policy.images.source} to add it.`);
  }

  const paths: { what: string; path: string }[] = [
    { what: 'Workspace', path: req.workspace },
    ...req.mounts.map((m) => ({ what: 'Mount', path: m.source })),
  ];
  for (const { what, path } of paths) {
    if (policy.workspaceRoots && !policy.workspaceRoots.value.some((r) => isUnder(path, r))) {
      v(Rule.WorkspaceRoots, policy.workspaceRoots.source, `${what} ${path} is outside the allowed workspace roots (${listOrNone(policy.workspaceRoots.value)}). Move the project under one of them.`);
    }
    for (const f of policy.forbiddenPaths) {
      // Mounting a parent of a forbidden path would expose it too.
      if (isUnder(path, f.value) || isUnder(f.value, path)) {
        v(Rule.WorkspaceForbid, f.source, `${what} ${path} ${isUnder(path, f.value) ? 'is inside' : 'contains'} the forbidden path ${f.value}. Choose a folder that neither is nor contains it.`);
      }
    }
  }

  if (policy.isolationAllow && !policy.isolationAllow.value.includes(req.isolation)) {
    v(Rule.IsolationAllow, policy.isolationAllow.source, `Isolation "${req.isolation}" is not allowed; ${Rule.IsolationAllow} permits ${listOrNone(policy.isolationAllow.value)}. Run with --isolation ${policy.isolationAllow.value[0] ?? 'gvisor'}.`);
  }

  if (policy.maxCpus && req.cpus > policy.maxCpus.value) {
    v(Rule.MaxCpus, policy.maxCpus.source, `${req.cpus} CPUs is above the ceiling of ${policy.maxCpus.value}. Use --cpus ${policy.maxCpus.value} or less.`);
  }
  if (policy.maxMemoryBytes && req.memoryBytes > policy.maxMemoryBytes.value) {
    const max = formatBytes(policy.maxMemoryBytes.value);
    v(Rule.MaxMemory, policy.maxMemoryBytes.source, `${formatBytes(req.memoryBytes)} of memory is above the ceiling of ${max}. Use --memory ${max} or less.`);
  }
  if (policy.maxPids && req.pids > policy.maxPids.value) {
    v(Rule.MaxPids, policy.maxPids.source, `A limit of ${req.pids} processes is above the ceiling of ${policy.maxPids.value}. Use --pids ${policy.maxPids.value} or less.`);
  }

  if (req.network === 'open' && policy.allowOpen?.value === false) {
    v(Rule.AllowOpen, policy.allowOpen.source, `Network mode "open" is not allowed. Use --network allowlist and add the hosts the agent needs.`);
  }
  if (req.network !== 'none') {
    for (const host of req.allowHosts) {
      const hit = denyHit(policy, host);
      if (hit) {
        v(Rule.DenyHosts, hit.source, `Allowed host "${host}" is covered by the denied entry "${hit.value}", which may never be reached. Remove "${host}" from the allowlist${host.startsWith('*') ? ' or list the exact hosts you need' : ''}.`);
      }
    }
  }

  if (policy.allowEnvSecrets?.value === false && req.envSecrets?.length) {
    v(Rule.AllowEnvSecrets, policy.allowEnvSecrets.source, `Secrets injected as environment variables are not allowed (${req.envSecrets.join(', ')}). Inject them in proxy or file mode instead.`);
  }

  if (policy.maxConcurrent && req.othersRunning !== undefined && req.othersRunning + 1 > policy.maxConcurrent.value) {
    v(Rule.MaxConcurrent, policy.maxConcurrent.source, `At most ${policy.maxConcurrent.value} sandboxes may run at once and ${req.othersRunning} already run. Stop one first (paddock stop <name>).`);
  }
  return out;
}

function listOrNone(xs: readonly string[]): string {
  return xs.length ? xs.join(', ') : 'nothing';
}

/** Fill in what the request leaves open from the policy's defaults; resources are capped at the ceilings. */
export function applyDefaults(policy: Policy, req: CreateSandboxRequest): CreateSandboxRequest {
  const out: CreateSandboxRequest = { ...req };
  if (out.isolation === undefined) {
    out.isolation = policy.isolationDefault?.value ?? (policy.isolationAllow && !policy.isolationAllow.value.includes('container') ? policy.isolationAllow.value[0] : undefined);
  }
  if (out.network === undefined) {
    out.network = policy.networkDefault?.value ?? (policy.allowOpen?.value === false ? 'allowlist' : undefined);
  }
  if (out.cpus === undefined) out.cpus = defaultOf(policy.defaultCpus, policy.maxCpus, DEFAULT_RESOURCES.cpus);
  if (out.memory === undefined) out.memory = defaultOf(policy.defaultMemoryBytes, policy.maxMemoryBytes, DEFAULT_RESOURCES.memoryBytes);
  if (out.pids === undefined) out.pids = defaultOf(policy.defaultPids, policy.maxPids, DEFAULT_RESOURCES.pids);
  for (const k of ['isolation', 'network', 'cpus', 'memory', 'pids'] as const) if (out[k] === undefined) delete out[k];
  return out;
}

function defaultOf(d: Sourced<number> | undefined, max: Sourced<number> | undefined, builtin: number): number | undefined {
  if (d) return d.value;
  if (max && builtin > max.value) return max.value;
  return undefined;
}

/**
 * A create request as evaluate() sees it: defaults applied (the policy's, then Paddock's), the
 * agent's preset hosts included. Throws PaddockError(BadInput) for paths or sizes it cannot read.
 */
export function requestFromCreate(policy: Policy, req: CreateSandboxRequest, agentHosts: readonly string[], extra: { image?: string; othersRunning?: number; envSecrets?: readonly string[] } = {}): PolicyRequest {
  const r = applyDefaults(policy, req);
  return {
    agent: r.agent,
    ...(extra.image !== undefined ? { image: extra.image } : {}),
    workspace: normalizeAbsolute(r.workspace),
    mounts: (r.mounts ?? []).map((m) => ({ source: normalizeAbsolute(m.source), readOnly: m.readOnly })),
    isolation: r.isolation ?? 'container',
    network: r.network ?? 'allowlist',
    allowHosts: [...new Set([...agentHosts, ...(r.allowHosts ?? [])])],
    cpus: r.cpus ?? DEFAULT_RESOURCES.cpus,
    memoryBytes: r.memory === undefined ? DEFAULT_RESOURCES.memoryBytes : parseMemory(r.memory),
    pids: r.pids ?? DEFAULT_RESOURCES.pids,
    ...(extra.envSecrets ? { envSecrets: extra.envSecrets } : {}),
    ...(extra.othersRunning !== undefined ? { othersRunning: extra.othersRunning } : {}),
  };
}

/** A sandbox as evaluate() sees it, optionally with a live change applied on top. */
export function requestFromSandbox(info: SandboxInfo, change: UpdateSandboxRequest = {}, othersRunning?: number): PolicyRequest {
  return {
    agent: info.agent,
    image: info.image,
    workspace: info.workspace,
    mounts: info.mounts,
    isolation: info.isolation,
    network: change.network ?? info.network,
    allowHosts: change.allowHosts ?? info.allowHosts,
    cpus: change.cpus ?? info.resources.cpus,
    memoryBytes: change.memory === undefined ? info.resources.memoryBytes : parseMemory(change.memory),
    pids: change.pids ?? info.resources.pids,
    ...(othersRunning !== undefined ? { othersRunning } : {}),
  };
}

/** Violations that mean "a policy file is broken": refuse everything until it is fixed (fail closed). */
export function invalidFileViolations(errors: readonly PolicyFileError[]): Violation[] {
  return errors.map((e) => ({
    rule: Rule.Invalid,
    source: e.file,
    message: `The policy file ${e.file} has an error${e.line ? ` at line ${e.line}` : ''}: ${e.message}. Fix it; until then no sandbox may be created.`,
  }));
}

// ------------------------------------------------------------------------- hosts, IPs, CIDRs

type HostPattern =
  | { kind: 'any' }
  | { kind: 'name'; name: string } // example.com: itself and every subdomain when denied
  | { kind: 'wildcard'; suffix: string } // *.example.com: subdomains only
  | { kind: 'net'; family: 4 | 6; base: bigint; prefix: number };

const LABEL_RE = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

export function parseHostPattern(s: string): HostPattern | null {
  const h = s.trim().toLowerCase().replace(/\.$/, '');
  if (h === '*') return { kind: 'any' };
  const net = parseCidr(h);
  if (net) return { kind: 'net', ...net };
  if (h.startsWith('*.')) {
    const rest = h.slice(2);
    return rest.split('.').every((l) => LABEL_RE.test(l)) ? { kind: 'wildcard', suffix: rest } : null;
  }
  return h.split('.').every((l) => LABEL_RE.test(l)) ? { kind: 'name', name: h } : null;
}

/** "10.0.0.0/8", "10.1.2.3", "fd00::/8", "[::1]" → network; null if not an address. */
export function parseCidr(s: string): { family: 4 | 6; base: bigint; prefix: number } | null {
  const [addr, prefixStr, ...rest] = s.split('/');
  if (rest.length || addr === undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixStr !== undefined) {
    if (!/^\d{1,3}$/.test(prefixStr)) return null;
    prefix = Number(prefixStr);
    if (prefix > bits) return null;
  }
  return { family: ip.family, base: maskTo(ip.value, prefix, bits), prefix };
}

function maskTo(v: bigint, prefix: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefix);
  return (v >> hostBits) << hostBits;
}

export function parseIp(s: string): { family: 4 | 6; value: bigint } | null {
  const a = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const v4 = parseIpv4(a);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!a.includes(':')) return null;
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): bigint[] | null => {
    if (part === '') return [];
    const out: bigint[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const x = parseIpv4(g);
        if (x === null) return null;
        out.push(x >> 16n, x & 0xffffn);
      } else if (/^[0-9a-f]{1,4}$/.test(g)) out.push(BigInt(parseInt(g, 16)));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

function parseIpv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function netsOverlap(a: { family: 4 | 6; base: bigint; prefix: number }, b: { family: 4 | 6; base: bigint; prefix: number }): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const p = Math.min(a.prefix, b.prefix);
  return maskTo(a.base, p, bits) === maskTo(b.base, p, bits);
}

function nameUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith('.' + domain);
}

/** Would allowing `allowEntry` (a host, *.domain, IP or CIDR) let a sandbox reach a denied host? */
export function denyHit(policy: Policy, allowEntry: string): Sourced<string> | null {
  const a = parseHostPattern(allowEntry);
  if (!a) return null;
  for (const d of policy.denyHosts) {
    const dp = parseHostPattern(d.value);
    if (!dp) continue;
    if (a.kind === 'any' || dp.kind === 'any') return d;
    if (dp.kind === 'net' || a.kind === 'net') {
      if (dp.kind === 'net' && a.kind === 'net' && netsOverlap(a, dp)) return d;
      continue;
    }
    if (namesOverlap(dp, a)) return d;
  }
  return null;
}

/** Does a denied name pattern share a host with an allowed one? Allowed names are exact; a denied name covers its subdomains too. */
function namesOverlap(deny: HostPattern, allow: HostPattern): boolean {
  if (allow.kind === 'name') {
    if (deny.kind === 'name') return nameUnder(allow.name, deny.name);
    if (deny.kind === 'wildcard') return allow.name !== deny.suffix && nameUnder(allow.name, deny.suffix);
    return false;
  }
  if (allow.kind === 'wildcard') {
    const d = deny.kind === 'name' ? deny.name : deny.kind === 'wildcard' ? deny.suffix : null;
    return d !== null && (nameUnder(allow.suffix, d) || nameUnder(d, allow.suffix));
  }
  return false;
}

/**
 * For the egress proxy at request time: is `host` (and the address it resolved to, when known)
 * denied by policy? Returns the deny entry, or null.
 */
export function hostDenied(policy: Policy, host: string, resolvedIp?: string): Sourced<string> | null {
  const byName = denyHit(policy, host);
  if (byName) return byName;
  if (resolvedIp) return denyHit(policy, resolvedIp);
  return null;
}

/** `*` matches any run of characters (including / and :); everything else is literal. */
export function globMatch(glob: string, s: string): boolean {
  const re = new RegExp('^' + glob.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(s);
}
