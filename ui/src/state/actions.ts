/**
 * What buttons do. Each applies paddockd's answer to the store at once (the event that echoes
 * it later is idempotent) and reports failures in words. Forms that show errors inline call the
 * API themselves and use these only for the success path.
 */
import type { CreateSandboxRequest, SandboxInfo, UpdateSandboxRequest } from '../core';
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

export const startSandbox = (name: string) => lifecycle(name, 'start', () => client().api.startSandbox(name));
export const stopSandbox = (name: string) => lifecycle(name, 'stop', () => client().api.stopSandbox(name), `${name} stopped.`);
export const restartAgent = (name: string) => lifecycle(name, 'restart the agent in', () => client().api.restartAgent(name));

/** Stop then start: what "restart needed" after a resource change asks for. */
export async function restartSandbox(name: string): Promise<boolean> {
  if (!(await lifecycle(name, 'stop', () => client().api.stopSandbox(name)))) return false;
  return (await lifecycle(name, 'start', () => client().api.startSandbox(name), `${name} restarted.`)) !== null;
}

export async function removeSandbox(name: string): Promise<boolean> {
  try {
    await client().api.removeSandbox(name);
    usePaddock.getState().dropSandbox(name);
    usePanes.getState().closeSandbox(name);
    notify('success', `${name} removed.`);
    return true;
  } catch (e) {
    reportError(e, `Could not remove ${name}`);
    return false;
  }
}

/** Throws for the drawer to show inline. */
export async function updateSandbox(name: string, patch: UpdateSandboxRequest): Promise<{ sandbox: SandboxInfo; restartRequired: boolean }> {
  const answer = await client().api.updateSandbox(name, patch);
  usePaddock.getState().upsertSandbox(answer.sandbox);
  return answer;
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
