/**
 * The built-in agent catalog. Pure data: image build inputs live in images/agents/<name>/.
 * `autonomyArgs` start the agent in its container-friendly autonomous mode (the sandbox is the
 * boundary); they are dropped when a sandbox is created with autonomy off.
 */
export interface AgentDefinition {
  name: string;
  title: string;
  description: string;
  /** argv of the agent inside the sandbox. */
  command: string[];
  autonomyArgs: string[];
  /** Extra environment for the agent process. */
  env: Record<string, string>;
  /** Hosts the agent needs in allowlist mode (its model API, auth). */
  hosts: string[];
  /** Directory under images/agents/ holding its Dockerfile; null for a custom agent with a ready image. */
  imageDir: string | null;
  /** A ready-made image for custom agents. */
  image?: string;
  /** Absolute path of a custom Dockerfile's build context. */
  contextDir?: string;
  custom: boolean;
}

export const BUILTIN_AGENTS: readonly AgentDefinition[] = [
  {
    name: 'claude',
    title: 'Claude Code',
    description: "Anthropic's agentic coding tool, started with --dangerously-skip-permissions inside the fence.",
    command: ['claude'],
    autonomyArgs: ['--dangerously-skip-permissions'],
    // Claude Code refuses the skip-permissions flag as root unless it knows it is sandboxed.
    env: { IS_SANDBOX: '1', DISABLE_AUTOUPDATER: '1' },
    hosts: ['api.anthropic.com', 'statsig.anthropic.com', 'console.anthropic.com', 'claude.ai', 'sentry.io'],
    imageDir: 'claude',
    custom: false,
  },
  {
    name: 'gemini',
    title: 'Gemini CLI',
    description: "Google's Gemini CLI, started in --yolo mode inside the fence.",
    command: ['gemini'],
    autonomyArgs: ['--yolo'],
    env: {},
    hosts: ['generativelanguage.googleapis.com', 'oauth2.googleapis.com', 'accounts.google.com', 'cloudcode-pa.googleapis.com'],
    imageDir: 'gemini',
    custom: false,
  },
  {
    name: 'codex',
    title: 'Codex',
    description: "OpenAI's Codex CLI, with its own bubblewrap sandbox off (the container is the boundary).",
    command: ['codex'],
    autonomyArgs: ['--dangerously-bypass-approvals-and-sandbox'],
    env: {},
    hosts: ['api.openai.com', 'auth.openai.com', 'chatgpt.com'],
    imageDir: 'codex',
    custom: false,
  },
  {
    name: 'opencode',
    title: 'OpenCode',
    description: 'The open-source terminal coding agent, any model provider.',
    command: ['opencode'],
    autonomyArgs: [],
    env: { OPENCODE_PERMISSION: '{"*":"allow"}' },
    hosts: ['api.anthropic.com', 'api.openai.com', 'opencode.ai', 'models.dev'],
    imageDir: 'opencode',
    custom: false,
  },
  {
    name: 'shell',
    title: 'Shell',
    description: 'A plain bash shell in the sandbox: run anything, try things out.',
    command: ['bash', '-l'],
    autonomyArgs: [],
    env: {},
    hosts: [],
    imageDir: 'shell',
    custom: false,
  },
];

/** Optional host groups users can add in one click. */
export const HOST_GROUPS: Readonly<Record<string, readonly string[]>> = {
  npm: ['registry.npmjs.org'],
  pypi: ['pypi.org', 'files.pythonhosted.org'],
  github: ['github.com', '*.github.com', '*.githubusercontent.com'],
  debian: ['deb.debian.org', 'security.debian.org'],
};

export function agentArgv(def: AgentDefinition, autonomy: boolean, extraArgs: readonly string[]): string[] {
  return [...def.command, ...(autonomy ? def.autonomyArgs : []), ...extraArgs];
}
