/**
 * Docker Desktop has no event stream for extensions (vm.service is request/response only), so
 * the DD transport re-reads a snapshot and turns the difference into the same PaddockEvents the
 * SSE feed would have sent. The stores cannot tell the two apart.
 */
import type { AgentInfo, PaddockEvent, SandboxInfo, Workspace } from '../core';

export interface Snapshot {
  sandboxes: SandboxInfo[];
  workspaces: Workspace[];
  agents: AgentInfo[];
}

export function diffSnapshots(prev: Snapshot | null, next: Snapshot): PaddockEvent[] {
  const events: PaddockEvent[] = [];
  const before = new Map((prev?.sandboxes ?? []).map((s) => [s.name, s]));
  const after = new Map(next.sandboxes.map((s) => [s.name, s]));
  for (const [name, s] of after) {
    const old = before.get(name);
    if (!old) events.push({ type: 'sandbox', action: 'created', sandbox: s });
    else if (JSON.stringify(old) !== JSON.stringify(s)) events.push({ type: 'sandbox', action: 'updated', sandbox: s });
  }
  for (const name of before.keys()) if (!after.has(name)) events.push({ type: 'sandbox-removed', name });

  const wsKey = (ws: Workspace[]) => ws.map((w) => w.path).join('\n');
  if (!prev || wsKey(prev.workspaces) !== wsKey(next.workspaces)) events.push({ type: 'workspaces', workspaces: next.workspaces });

  const images = new Map((prev?.agents ?? []).map((a) => [a.name, a.imageState]));
  for (const a of next.agents) {
    if (images.get(a.name) !== a.imageState) events.push({ type: 'image', agent: a.name, state: a.imageState });
  }
  return events;
}
