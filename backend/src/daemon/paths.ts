/** Where paddockd keeps what the engine cannot: token, socket, settings, secrets, audit log. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_PORT = 7436; // "PDDK" on a phone keypad; any free port works via PADDOCK_PORT

export interface PaddockPaths {
  stateDir: string;
  configDir: string;
  socketPath: string;
  tokenPath: string;
  pidPath: string;
  logPath: string;
  settingsDir: string;
  workspacesPath: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): PaddockPaths {
  const stateDir = env.PADDOCK_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'paddock');
  const configDir = env.PADDOCK_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'paddock');
  return {
    stateDir,
    configDir,
    socketPath: env.PADDOCK_SOCKET ?? join(stateDir, 'paddockd.sock'),
    tokenPath: join(stateDir, 'token'),
    pidPath: join(stateDir, 'paddockd.pid'),
    logPath: join(stateDir, 'paddockd.log'),
    settingsDir: join(stateDir, 'sandboxes'),
    workspacesPath: join(stateDir, 'workspaces.json'),
  };
}

export function resolvePort(env: NodeJS.ProcessEnv = process.env): number {
  const p = Number(env.PADDOCK_PORT ?? DEFAULT_PORT);
  return Number.isInteger(p) && p >= 0 && p < 65536 ? p : DEFAULT_PORT;
}
