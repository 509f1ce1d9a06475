/**
 * Sandbox spec → engine create options: one pure function, table-tested in spec.test.ts.
 * Every hardening default lives here, with the reason next to it.
 */
import { ErrorCode, PaddockError } from './errors.js';
import { Label, LABEL_SPEC_VERSION, encodeSpecLabel, type SandboxLabelSpec } from './labels.js';
import type { Isolation, Mount, NetworkMode } from './protocol.js';
import { seccompSecurityOpt } from './seccomp.js';

/**
 * Capabilities kept (everything else is dropped). The init needs SETUID/SETGID/CHOWN to drop to
 * the workspace owner's uid and prepare HOME; sudo inside needs SETUID/SETGID/AUDIT_WRITE;
 * package managers need CHOWN/DAC_OVERRIDE/FOWNER/FSETID; KILL lets the agent signal its own
 * children across uids; NET_BIND_SERVICE lets dev servers bind low ports. Not kept: MKNOD,
 * NET_RAW (no raw sockets, no ping spoofing), SYS_CHROOT, SETFCAP, SETPCAP, SYS_ADMIN, …
 */
export const KEPT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'NET_BIND_SERVICE', 'AUDIT_WRITE',
];

export const DEFAULT_RESOURCES = {
  cpus: 2, // a build can use two cores; others keep theirs
  memoryBytes: 4 * 1024 ** 3, // node-based agents plus a build fit in 4 GiB
  pids: 1024, // enough for builds and test runners, stops a fork bomb fast
} as const;

export const TMP_TMPFS_OPTIONS = 'rw,nosuid,nodev,size=1g'; // /tmp in memory, bounded; exec allowed for build tools
export const LOG_MAX_SIZE = '10m'; // the engine's log of the sandbox stays bounded under a log flood
export const LOG_MAX_FILES = '2';
export const AGENT_HOME = '/home/agent';
/** `seccomp=<json>`: built once, the same for every sandbox. */
export const SANDBOX_SECCOMP_OPT = seccompSecurityOpt();

/** Runtime names per isolation level, in preference order. */
export const RUNTIMES_FOR: Readonly<Record<Isolation, readonly string[]>> = {
  container: ['runc'],
  gvisor: ['runsc'],
  microvm: ['kata', 'kata-runtime', 'io.containerd.kata.v2', 'kata-fc', 'kata-qemu', 'io.containerd.kata-fc.v2'],
};

export function runtimeFor(isolation: Isolation, available: readonly string[]): string | null {
  if (isolation === 'container') return 'runc'; // the engine's default runtime is always there
  return RUNTIMES_FOR[isolation].find((r) => available.includes(r)) ?? null;
}

export function missingRuntimeReason(isolation: Isolation): string {
  switch (isolation) {
    case 'gvisor':
      return 'gVisor (runsc) is not registered with the engine. Install runsc and add it to /etc/docker/daemon.json "runtimes" (npm run preflight does this on Debian/Ubuntu), then restart the engine.';
    case 'microvm':
      return 'No microVM runtime (Kata Containers / Firecracker) is registered with the engine, and microVMs need /dev/kvm. Install Kata Containers on a host with KVM and register it in daemon.json.';
    default:
      return '';
  }
}

export interface SandboxSpec {
  name: string;
  agent: string;
  workspace: string;
  image: string;
  isolation: Isolation;
  runtime: string;
  network: NetworkMode;
  /** The sandbox's own engine network (null in mode none). */
  networkName: string | null;
  allowHosts: string[];
  mounts: Mount[];
  cpus: number;
  memoryBytes: number;
  pids: number;
  autonomy: boolean;
  uid: number;
  gid: number;
  agentArgs: string[];
  /** Full argv of the agent (command + autonomy flags + user args). */
  agentArgv: string[];
  /** Environment for the agent: agent defaults, git identity, user -e values. */
  env: Record<string, string>;
  homeVolume: string;
  createdAt: string;
  extraLabels: Record<string, string>;
  /** DNS servers for the sandbox (egress sets these so lookups cannot leave); null = engine default. */
  dns: string[] | null;
  /** Extra named volumes, e.g. an agent's shared login (paddock-creds-<agent>). */
  volumes: { name: string; target: string }[];
  /** Extra tmpfs mounts, e.g. /run/secrets for file-mode secrets. */
  tmpfs: Record<string, string>;
  cols?: number;
  rows?: number;
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_ENV = new Set(['PADDOCK_UID', 'PADDOCK_GID', 'PADDOCK_WORKSPACE', 'PADDOCK_AGENT_ARGV', 'HOME']);

export function validateEnv(env: Record<string, string>): void {
  for (const k of Object.keys(env)) {
    if (!ENV_NAME_RE.test(k)) throw new PaddockError(ErrorCode.BadInput, `"${k}" is not a valid environment variable name. Use letters, digits and _, not starting with a digit.`);
    if (RESERVED_ENV.has(k)) throw new PaddockError(ErrorCode.BadInput, `${k} is set by Paddock itself and cannot be overridden with -e.`);
  }
}

export function labelSpecOf(spec: SandboxSpec): SandboxLabelSpec {
  return {
    v: LABEL_SPEC_VERSION,
    name: spec.name,
    agent: spec.agent,
    workspace: spec.workspace,
    image: spec.image,
    isolation: spec.isolation,
    network: spec.network,
    allowHosts: spec.allowHosts,
    mounts: spec.mounts,
    cpus: spec.cpus,
    memoryBytes: spec.memoryBytes,
    pids: spec.pids,
    autonomy: spec.autonomy,
    uid: spec.uid,
    gid: spec.gid,
    agentArgs: spec.agentArgs,
    homeVolume: spec.homeVolume,
    networkName: spec.networkName,
    createdAt: spec.createdAt,
  };
}

export function sandboxLabels(spec: SandboxSpec): Record<string, string> {
  return {
    ...spec.extraLabels,
    [Label.Managed]: 'true',
    [Label.Kind]: 'sandbox',
    [Label.Sandbox]: spec.name,
    [Label.Agent]: spec.agent,
    [Label.Workspace]: spec.workspace,
    [Label.Spec]: encodeSpecLabel(labelSpecOf(spec)),
  };
}

/** Docker Engine API ContainerCreate body for a sandbox. */
export function buildContainerCreate(spec: SandboxSpec): Record<string, unknown> & { name: string; Image: string } {
  const mounts: Record<string, unknown>[] = [
    // The workspace at the same absolute path, so paths in errors, logs and git output match the host.
    { Type: 'bind', Source: spec.workspace, Target: spec.workspace, ReadOnly: false, BindOptions: { Propagation: 'rprivate' } },
    ...spec.mounts.map((m) => ({ Type: 'bind', Source: m.source, Target: m.source, ReadOnly: m.readOnly, BindOptions: { Propagation: 'rprivate' } })),
    // HOME survives stop/start (agent logins, shell history, caches).
    { Type: 'volume', Source: spec.homeVolume, Target: AGENT_HOME, ReadOnly: false },
    ...spec.volumes.map((v) => ({ Type: 'volume', Source: v.name, Target: v.target, ReadOnly: false })),
  ];
  const env: Record<string, string> = {
    ...spec.env,
    HOME: AGENT_HOME,
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    LANG: 'C.UTF-8',
    PADDOCK_SANDBOX: spec.name,
    PADDOCK_AGENT: spec.agent,
    PADDOCK_UID: String(spec.uid),
    PADDOCK_GID: String(spec.gid),
    PADDOCK_WORKSPACE: spec.workspace,
    PADDOCK_AGENT_ARGV: JSON.stringify(spec.agentArgv),
    ...(spec.cols ? { PADDOCK_COLS: String(spec.cols) } : {}),
    ...(spec.rows ? { PADDOCK_ROWS: String(spec.rows) } : {}),
  };
  return {
    name: spec.name,
    Image: spec.image,
    Hostname: hostnameFor(spec.name),
    WorkingDir: spec.workspace,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: sandboxLabels(spec),
    Tty: false,
    OpenStdin: false,
    StopTimeout: 5,
    HostConfig: {
      Mounts: mounts,
      CapDrop: ['ALL'],
      CapAdd: [...KEPT_CAPABILITIES],
      // Paddock's own seccomp profile (core/seccomp.ts): a default-deny allowlist like the engine's,
      // which also refuses setuid/setgid bits (the sandbox's root is the host's root for workspace
      // files). Never unconfined; NoNewPrivs stays off so sudo inside works.
      SecurityOpt: [SANDBOX_SECCOMP_OPT],
      Privileged: false,
      ReadonlyRootfs: false,
      PidsLimit: spec.pids,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes, // no swap beyond the limit: a hog is OOM-killed, not paged
      NanoCpus: Math.round(spec.cpus * 1e9),
      Tmpfs: { ...spec.tmpfs, '/tmp': TMP_TMPFS_OPTIONS },
      ...(spec.dns ? { Dns: spec.dns, DnsSearch: [], DnsOptions: [] } : {}),
      Runtime: spec.runtime,
      NetworkMode: spec.networkName ?? 'none',
      IpcMode: 'private',
      Init: false, // the image's tini is PID 1
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': LOG_MAX_SIZE, 'max-file': LOG_MAX_FILES } },
      OomScoreAdj: 500, // under host memory pressure the kernel picks a sandbox before paddockd or the engine
    },
    NetworkingConfig: spec.networkName ? { EndpointsConfig: { [spec.networkName]: { Aliases: [hostnameFor(spec.name)] } } } : undefined,
  };
}

export function hostnameFor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'sandbox';
}

/** `<agent>-<workspace dir name>`, made engine-safe; the caller makes it unique. */
export function defaultSandboxName(agent: string, workspace: string): string {
  const base = workspace.split('/').filter(Boolean).pop() ?? 'workspace';
  const clean = base.replace(/[^a-zA-Z0-9_-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 40) || 'workspace';
  return `${agent}-${clean}`;
}

export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base}-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function homeVolumeName(sandbox: string): string {
  return `paddock-home-${sandbox}`;
}

export function networkNameFor(sandbox: string): string {
  return `paddock-net-${sandbox}`;
}
