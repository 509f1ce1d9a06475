/**
 * Paddock's one protocol module: every REST request/response, event and terminal control
 * message, as zod schemas. Imported by paddockd, the CLI and the UI. Pure: no Node, no DOM.
 */
import { z } from 'zod';
import { AGENT_NAME_RE, SANDBOX_NAME_RE } from './names.js';
import { MAX_ATTACHMENTS, SecretAttachment } from './secrets-protocol.js';

/** Bumped on any incompatible change to REST, events or the terminal socket. */
export const PROTOCOL_VERSION = 1;
export const API_PREFIX = '/api/v1';

export { AGENT_NAME_RE, SANDBOX_NAME_RE } from './names.js';

export const NetworkMode = z.enum(['none', 'allowlist', 'open']);
export type NetworkMode = z.infer<typeof NetworkMode>;
export const Isolation = z.enum(['container', 'gvisor', 'microvm']);
export type Isolation = z.infer<typeof Isolation>;

export const SandboxState = z.enum(['creating', 'running', 'stopped', 'paused', 'restarting', 'removing', 'dead', 'error']);
export type SandboxState = z.infer<typeof SandboxState>;

export const ImageState = z.enum(['absent', 'building', 'ready', 'failed']);
export type ImageState = z.infer<typeof ImageState>;

export const Mount = z.object({
  source: z.string().min(1),
  readOnly: z.boolean().default(false),
});
export type Mount = z.infer<typeof Mount>;

export const Resources = z.object({
  cpus: z.number().positive().max(1024),
  memoryBytes: z.number().int().positive(),
  pids: z.number().int().min(16).max(1_000_000),
});
export type Resources = z.infer<typeof Resources>;

/** What a client asks for; paddockd fills in defaults. Size strings ("2g") are parsed by the client or server with core/sizes. */
export const CreateSandboxRequest = z.object({
  agent: z.string().regex(AGENT_NAME_RE, 'agent names are lowercase letters, digits and dashes'),
  workspace: z.string().min(1, 'workspace path is required'),
  name: z.string().regex(SANDBOX_NAME_RE, 'names start with a letter or digit and use letters, digits, _ and -').optional(),
  network: NetworkMode.optional(),
  isolation: Isolation.optional(),
  mounts: z.array(Mount).max(32).optional(),
  cpus: z.number().positive().max(1024).optional(),
  memory: z.union([z.string(), z.number().int().positive()]).optional(),
  pids: z.number().int().min(16).max(1_000_000).optional(),
  env: z.record(z.string(), z.string()).optional(),
  agentArgs: z.array(z.string()).max(256).optional(),
  autonomy: z.boolean().optional(),
  allowHosts: z.array(z.string()).max(512).optional(),
  /** Secrets to attach, each with its injection mode (see core/secrets-protocol.ts). */
  secrets: z.array(SecretAttachment).max(MAX_ATTACHMENTS).optional(),
  /** Start the sandbox after creating it (default true). */
  start: z.boolean().optional(),
  /** Initial terminal size of the agent session (the launching viewer's), so nothing reflows on attach. */
  cols: z.number().int().min(2).max(1000).optional(),
  rows: z.number().int().min(1).max(500).optional(),
  /** When a sandbox for (workspace, agent) already exists, reuse it (default true). */
  reuse: z.boolean().optional(),
});
export type CreateSandboxRequest = z.infer<typeof CreateSandboxRequest>;

export const SandboxInfo = z.object({
  name: z.string(),
  id: z.string(),
  agent: z.string(),
  workspace: z.string(),
  state: SandboxState,
  /** Agent process state inside the sandbox, when known. */
  agentState: z.enum(['running', 'exited', 'unknown']).default('unknown'),
  agentExitCode: z.number().int().nullable().default(null),
  isolation: Isolation,
  network: NetworkMode,
  allowHosts: z.array(z.string()),
  image: z.string(),
  createdAt: z.string(),
  mounts: z.array(Mount),
  resources: Resources,
  autonomy: z.boolean(),
  uid: z.number().int(),
  gid: z.number().int(),
  agentArgs: z.array(z.string()),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;

export const UpdateSandboxRequest = z.object({
  network: NetworkMode.optional(),
  secrets: z.array(SecretAttachment).max(MAX_ATTACHMENTS).optional(),
  allowHosts: z.array(z.string()).max(512).optional(),
  cpus: z.number().positive().max(1024).optional(),
  memory: z.union([z.string(), z.number().int().positive()]).optional(),
  pids: z.number().int().min(16).max(1_000_000).optional(),
});
export type UpdateSandboxRequest = z.infer<typeof UpdateSandboxRequest>;

export const AgentInfo = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  custom: z.boolean(),
  image: z.string(),
  imageState: ImageState,
  /** Hosts the agent needs by default in allowlist mode. */
  hosts: z.array(z.string()),
  command: z.array(z.string()),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const RuntimeInfo = z.object({
  isolation: Isolation,
  available: z.boolean(),
  runtime: z.string().nullable(),
  reason: z.string().nullable(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

export const DaemonStatus = z.object({
  version: z.string(),
  protocolVersion: z.number().int(),
  pid: z.number().int(),
  socketPath: z.string(),
  url: z.string(),
  engine: z.object({ version: z.string(), apiVersion: z.string() }).nullable(),
  runtimes: z.array(RuntimeInfo),
});
export type DaemonStatus = z.infer<typeof DaemonStatus>;

export const ExecRequest = z.object({
  cmd: z.array(z.string()).min(1),
  /** Run as root instead of the agent user. */
  root: z.boolean().optional(),
  env: z.record(z.string(), z.string()).optional(),
});
export const ExecResult = z.object({ exitCode: z.number().int(), stdout: z.string(), stderr: z.string() });
export type ExecResult = z.infer<typeof ExecResult>;

export const Workspace = z.object({ path: z.string(), addedAt: z.string() });
export type Workspace = z.infer<typeof Workspace>;
export const AddWorkspaceRequest = z.object({ path: z.string().min(1) });

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Server-sent events on GET /api/v1/events (text/event-stream, one JSON object per `data:`). */
export const PaddockEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sandbox'), action: z.enum(['created', 'updated', 'removed']), sandbox: SandboxInfo }),
  z.object({ type: z.literal('sandbox-removed'), name: z.string() }),
  z.object({
    type: z.literal('image'),
    agent: z.string(),
    state: ImageState,
    /** One line of build progress, when state is building. */
    progress: z.string().optional(),
  }),
  z.object({ type: z.literal('workspaces'), workspaces: z.array(Workspace) }),
  z.object({ type: z.literal('toast'), level: z.enum(['info', 'success', 'warning', 'error']), message: z.string() }),
]);
export type PaddockEvent = z.infer<typeof PaddockEvent>;

// ---------------------------------------------------------------------------------------------
// Terminal WebSocket: GET /api/v1/sandboxes/:name/terminal?session=agent|<shell-id>
// Binary frames carry terminal bytes both ways. Text frames carry JSON control messages.
// The client's first frame must be a `hello`; the server answers with its own `hello`.
// ---------------------------------------------------------------------------------------------

export const TERMINAL_MAX_CONTROL_BYTES = 4096; // control JSON is tiny; anything bigger is abuse
export const TERMINAL_MAX_INPUT_FRAME_BYTES = 1 << 20; // one paste of 1 MiB is plenty

/** WebSocket close codes (4000–4999 are application-defined). */
export const TerminalCloseCode = {
  Normal: 1000,
  ProtocolError: 4400,
  Unauthorized: 4401,
  NotFound: 4404,
  VersionMismatch: 4409,
  TooLarge: 4413,
  SessionEnded: 4410,
  Internal: 4500,
} as const;

export const ClientHello = z.object({
  type: z.literal('hello'),
  version: z.number().int(),
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(500),
});
export const ClientResize = z.object({
  type: z.literal('resize'),
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(500),
});
/** Flow control: the viewer acknowledges bytes it has finished writing to its terminal. */
export const ClientAck = z.object({ type: z.literal('ack'), bytes: z.number().int().nonnegative() });
export const ClientRestart = z.object({ type: z.literal('restart') });
export const ClientControl = z.discriminatedUnion('type', [ClientHello, ClientResize, ClientAck, ClientRestart]);
export type ClientControl = z.infer<typeof ClientControl>;

export const ServerControl = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    version: z.number().int(),
    session: z.string(),
    sandbox: z.string(),
    agentState: z.enum(['running', 'exited', 'unknown']),
    exitCode: z.number().int().nullable(),
  }),
  z.object({ type: z.literal('exit'), code: z.number().int().nullable() }),
  z.object({ type: z.literal('restarted') }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerControl = z.infer<typeof ServerControl>;

/** Flow control watermarks, in bytes of unacknowledged output per viewer (see docs/api.md). */
export const FLOW_HIGH_WATERMARK = 100_000; // pause the source above this (VS Code uses 100k chars)
export const FLOW_LOW_WATERMARK = 10_000; // resume once the viewer is back under this
export const FLOW_ACK_BYTES = 5_000; // viewers ack after writing this many bytes
