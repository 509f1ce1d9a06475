/**
 * What buttons do. Each applies paddockd's answer to the store at once (the event that echoes
 * it later is idempotent) and reports failures in words. Forms that show errors inline call the
 * API themselves and use these only for the success path.
 */
import type { CreateSandboxRequest, SandboxInfo, SecretAttachment, UpdateSandboxRequest } from '../core';
import { errorMessage } from '../transport/transport';
import { client, notify, reportError, usePaddock } from './store';
import { usePanes } from './panes';
import { useUi } from './ui';

const basename = (p: string) => p.replace(/\/+$/, '').split('/').pop() || p;

export function openAgentPane(s: Pick<SandboxInfo, 'name' | 'agent'>): void {
  usePanes.getState().open({ sandbox: s.name, session: 'agent', title: s.agent });
  useUi.getState().go('terminals');
}

/** Throws (for the form to show inline); on success opens the new sandbox's terminal. */
export async function launchSandbox(req: CreateSandboxRequest): Promise<SandboxInfo> {
  const sb = await client().api.createSandbox(req);
  usePaddock.getState().apply({ type: 'sandbox', action: 'created', sandbox: sb });
  openAgentPane(sb);
  notify('success', `${sb.name} is ${sb.state === 'running' ? 'running' : sb.state} in ${basename(sb.workspace)}.`);
  return sb;
}

async function lifecycle(name: string, what: string, call: () => Promise<SandboxInfo>, done?: string): Promise<SandboxInfo | null> {
  try {
    const sb = await call();
    usePaddock.getState().upsertSandbox(sb);
    if (done) notify('success', done);
    return sb;
  } catch (e) {
    reportError(e, `Could not ${what} ${name}`);
    return null;
  }
}

/** A (re)start is what a pending "restart needed" waited for: it is no longer pending. */
function restarted(name: string): void {
  const p = useUi.getState().pending[name];
  if (p) useUi.getState().setPending(name, { ...p, restartReasons: [] });
}

export const startSandbox = async (name: string) => {
  const sb = await lifecycle(name, 'start', () => client().api.startSandbox(name));
  if (sb) restarted(name);
  return sb;
};
export const stopSandbox = (name: string) => lifecycle(name, 'stop', () => client().api.stopSandbox(name), `${name} stopped.`);
export const restartAgent = (name: string) => lifecycle(name, 'restart the agent in', () => client().api.restartAgent(name));

/** Stop then start: what "restart needed" after a resource change asks for. */
export async function restartSandbox(name: string): Promise<boolean> {
  if (!(await lifecycle(name, 'stop', () => client().api.stopSandbox(name)))) return false;
  const ok = (await lifecycle(name, 'start', () => client().api.startSandbox(name), `${name} restarted.`)) !== null;
  if (ok) restarted(name);
  return ok;
}

export async function removeSandbox(name: string): Promise<boolean> {
  try {
    await client().api.removeSandbox(name);
    usePaddock.getState().dropSandbox(name);
    usePanes.getState().closeSandbox(name);
    useUi.getState().setPending(name, { restartReasons: [], recreate: false });
    notify('success', `${name} removed.`);
    return true;
  } catch (e) {
    reportError(e, `Could not remove ${name}`);
    return false;
  }
}

/** Throws for the drawer to show inline. `restart`: stop, apply, start (what gVisor needs for new limits). */
export async function updateSandbox(name: string, patch: UpdateSandboxRequest, restart = false): Promise<{ sandbox: SandboxInfo; restartRequired: boolean; restartReasons: string[] }> {
  const answer = await client().api.updateSandbox(name, patch, restart);
  usePaddock.getState().upsertSandbox(answer.sandbox);
  return answer;
}

/** The create request that makes the same sandbox again (same name, settings and secrets). */
export function recreateRequest(s: SandboxInfo, secrets: SecretAttachment[]): CreateSandboxRequest {
  return {
    agent: s.agent,
    workspace: s.workspace,
    name: s.name,
    network: s.network,
    isolation: s.isolation,
    mounts: s.mounts,
    cpus: s.resources.cpus,
    memory: s.resources.memoryBytes,
    pids: s.resources.pids,
    autonomy: s.autonomy,
    ...(s.network === 'allowlist' ? { allowHosts: s.allowHosts } : {}),
    ...(s.agentArgs.length ? { agentArgs: s.agentArgs } : {}),
    ...(secrets.length ? { secrets } : {}),
    reuse: false,
  };
}

/**
 * Remove and create again with the same settings: what env- and proxy-mode secret changes need,
 * since a container's environment is fixed when it is created. The workspace is untouched; the
 * sandbox's HOME volume is new (shared logins are kept). Throws for the drawer to show inline.
 */
export async function recreateSandbox(s: SandboxInfo, secrets: SecretAttachment[]): Promise<SandboxInfo> {
  const req = recreateRequest(s, secrets);
  const hadPane = usePanes.getState().panes.some((p) => p.sandbox === s.name && p.session === 'agent');
  usePanes.getState().closeSandbox(s.name);
  await client().api.removeSandbox(s.name);
  try {
    const sb = await client().api.createSandbox(req);
    usePaddock.getState().apply({ type: 'sandbox', action: 'created', sandbox: sb });
    if (hadPane) usePanes.getState().open({ sandbox: sb.name, session: 'agent', title: sb.agent });
    notify('success', `${sb.name} recreated.`);
    return sb;
  } catch (e) {
    usePaddock.getState().dropSandbox(s.name);
    throw new Error(`${s.name} was removed but could not be created again: ${errorMessage(e)} Launch it again from the Workspaces page.`);
  }
}

export async function newShell(sandbox: string): Promise<void> {
  try {
    const s = await client().api.newShell(sandbox);
    usePanes.getState().open({ sandbox, session: s.id, title: s.title || 'shell' });
  } catch (e) {
    reportError(e, `Could not open a shell in ${sandbox}`);
  }
}

export async function buildAgent(agent: string): Promise<void> {
  try {
    await client().api.buildAgent(agent);
    const a = usePaddock.getState().agents.find((x) => x.name === agent);
    if (a && a.imageState !== 'ready') usePaddock.getState().apply({ type: 'image', agent, state: 'building' });
  } catch (e) {
    reportError(e, `Could not build the ${agent} image`);
  }
}

/** Throws for the inline error under the path field. */
export async function addWorkspace(path: string): Promise<void> {
  const ws = await client().api.addWorkspace(path);
  const s = usePaddock.getState();
  if (!s.workspaces.some((w) => w.path === ws.path)) s.apply({ type: 'workspaces', workspaces: [...s.workspaces, ws] });
}

export async function removeWorkspace(path: string): Promise<void> {
  try {
    await client().api.removeWorkspace(path);
    const s = usePaddock.getState();
    s.apply({ type: 'workspaces', workspaces: s.workspaces.filter((w) => w.path !== path) });
    notify('info', `${basename(path)} removed from the list; its sandboxes are untouched.`);
  } catch (e) {
    reportError(e, `Could not remove ${path}`);
  }
}
