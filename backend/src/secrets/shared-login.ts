/**
 * Agent login persistence: an opt-in volume per agent (`paddock-creds-<agent>`) mounted where
 * that agent keeps its login, shared by all of that agent's sandboxes — `/login` once serves
 * every workspace. It starts empty: Paddock never copies the host's own credential store (OAuth
 * refresh tokens rotate on use; a copy would log the host out). The opt-in list is a small JSON
 * file in paddockd's state.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AGENT_HOME } from '../core/spec.js';
import { writeAtomic } from './store.js';

export const SHARED_LOGINS_FILE = 'shared-logins.json';

export interface SharedLoginLayout {
  /** Absolute paths in the sandbox, each backed by a subdirectory of the agent's volume. */
  targets: string[];
  /** Env that makes the agent keep all of its login state under the targets. */
  env: Record<string, string>;
}

/**
 * Where each built-in agent keeps its login. Claude Code also writes ~/.claude.json; with
 * CLAUDE_CONFIG_DIR set it keeps that file inside the directory, so one directory mount holds
 * everything (a volume cannot be mounted over a single file that does not exist yet).
 */
export const SHARED_LOGIN_LAYOUTS: Readonly<Record<string, SharedLoginLayout>> = {
  claude: { targets: [`${AGENT_HOME}/.claude`], env: { CLAUDE_CONFIG_DIR: `${AGENT_HOME}/.claude` } },
  codex: { targets: [`${AGENT_HOME}/.codex`], env: { CODEX_HOME: `${AGENT_HOME}/.codex` } },
  gemini: { targets: [`${AGENT_HOME}/.gemini`], env: {} },
  opencode: { targets: [`${AGENT_HOME}/.local/share/opencode`], env: {} },
};

export function credsVolumeName(agent: string): string {
  return `paddock-creds-${agent}`;
}

/** One volume mount (as SandboxSpec.volumes needs it). `subpath` keeps one volume per agent even with several targets. */
export interface VolumeMount {
  name: string;
  target: string;
  subpath?: string;
}

export interface SharedLoginPlan {
  volume: string;
  mounts: VolumeMount[];
  env: Record<string, string>;
}

/** Pure: the mounts and env for `agent`, or null when Paddock does not know where it keeps its login. */
export function sharedLoginPlan(agent: string): SharedLoginPlan | null {
  const layout = SHARED_LOGIN_LAYOUTS[agent];
  if (!layout) return null;
  const volume = credsVolumeName(agent);
  const mounts = layout.targets.length === 1
    ? [{ name: volume, target: layout.targets[0]! }]
    : layout.targets.map((target, i) => ({ name: volume, target, subpath: `t${i}` }));
  return { volume, mounts, env: { ...layout.env } };
}

/**
 * The root-run shell script that hands each target (and the directories the engine created
 * between HOME and it) to the agent user, so a volume made root-owned by the engine is usable.
 * Args: uid gid target...
 */
export const CHOWN_TARGETS_SCRIPT = `set -eu
uid=$1; gid=$2; shift 2
for t in "$@"; do
  [ "$(stat -c %u "$t")" = "$uid" ] || chown -R "$uid:$gid" "$t"
  d=$(dirname "$t")
  while [ "$d" != "${AGENT_HOME}" ] && [ "$d" != / ]; do
    [ "$(stat -c %u:%g "$d")" = "$uid:$gid" ] || chown "$uid:$gid" "$d"
    d=$(dirname "$d")
  done
done
`;

const SharedLogins = z.object({ agents: z.array(z.string()) });

export class SharedLoginSettings {
  private readonly file: string;
  constructor(stateDir: string) {
    this.file = join(stateDir, SHARED_LOGINS_FILE);
  }

  agents(): string[] {
    try {
      const parsed = SharedLogins.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data.agents : [];
    } catch {
      return [];
    }
  }

  enabled(agent: string): boolean {
    return this.agents().includes(agent);
  }

  set(agent: string, on: boolean): string[] {
    const next = new Set(this.agents());
    if (on) next.add(agent);
    else next.delete(agent);
    const agents = [...next].sort();
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeAtomic(this.file, JSON.stringify({ agents }));
    return agents;
  }
}
