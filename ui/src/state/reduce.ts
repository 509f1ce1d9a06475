/** Pure: how each PaddockEvent changes the dashboard's data. The zustand store only wires this up. */
import type { AgentInfo, PaddockEvent, RuntimeInfo, SandboxInfo, Workspace } from '../core';

export interface PaddockData {
  /** By sandbox name. */
  sandboxes: Record<string, SandboxInfo>;
  agents: AgentInfo[];
  workspaces: Workspace[];
  runtimes: RuntimeInfo[];
  /** Latest build progress line per agent, while its image is building. */
  imageProgress: Record<string, string>;
}

export const emptyData: PaddockData = { sandboxes: {}, agents: [], workspaces: [], runtimes: [], imageProgress: {} };

export function applyEvent(data: PaddockData, e: PaddockEvent): PaddockData {
  switch (e.type) {
    case 'sandbox': {
      if (e.action === 'removed') return removeSandbox(data, e.sandbox.name);
      const next = { ...data, sandboxes: { ...data.sandboxes, [e.sandbox.name]: e.sandbox } };
      // A created sandbox proves its agent's image exists: paddockd streams build progress during a
      // create but sends no final "ready" for it, and the card must not say "building" forever.
      if (e.action === 'created') return imageReady(next, e.sandbox.agent);
      return next;
    }
    case 'sandbox-removed':
      return removeSandbox(data, e.name);
    case 'workspaces':
      return { ...data, workspaces: e.workspaces };
    case 'image': {
      const agents = data.agents.map((a) => (a.name === e.agent ? { ...a, imageState: e.state } : a));
      const imageProgress = { ...data.imageProgress };
      if (e.state === 'building') {
        if (e.progress) imageProgress[e.agent] = e.progress;
      } else delete imageProgress[e.agent];
      return { ...data, agents, imageProgress };
    }
    case 'toast':
      return data; // toasts are not data; the store routes them to the notifier
  }
}

function imageReady(data: PaddockData, agent: string): PaddockData {
  const a = data.agents.find((x) => x.name === agent);
  if (!a || a.imageState === 'ready') return data;
  const imageProgress = { ...data.imageProgress };
  delete imageProgress[agent];
  return { ...data, agents: data.agents.map((x) => (x.name === agent ? { ...x, imageState: 'ready' as const } : x)), imageProgress };
}

function removeSandbox(data: PaddockData, name: string): PaddockData {
  if (!(name in data.sandboxes)) return data;
  const sandboxes = { ...data.sandboxes };
  delete sandboxes[name];
  return { ...data, sandboxes };
}

/** Sandboxes of one workspace, newest first. Paths compare without a trailing slash. */
export function sandboxesOf(data: Pick<PaddockData, 'sandboxes'>, workspace: string): SandboxInfo[] {
  const norm = trimSlash(workspace);
  return Object.values(data.sandboxes)
    .filter((s) => trimSlash(s.workspace) === norm)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Sandboxes whose workspace is not in the list (added from the CLI, or the workspace was forgotten). */
export function orphanSandboxes(data: Pick<PaddockData, 'sandboxes' | 'workspaces'>): SandboxInfo[] {
  const known = new Set(data.workspaces.map((w) => trimSlash(w.path)));
  return Object.values(data.sandboxes).filter((s) => !known.has(trimSlash(s.workspace)));
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
