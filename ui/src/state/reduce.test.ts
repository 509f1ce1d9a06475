import { describe, expect, it } from 'vitest';
import type { AgentInfo } from '../core';
import { sandbox } from './fixtures';
import { applyEvent, emptyData, orphanSandboxes, sandboxesOf, type PaddockData } from './reduce';

const agent = (name: string, over: Partial<AgentInfo> = {}): AgentInfo => ({
  name,
  title: name,
  description: '',
  custom: false,
  image: `paddock/${name}`,
  imageState: 'absent',
  hosts: [],
  command: [name],
  ...over,
});

describe('applyEvent', () => {
  it('adds, updates and removes sandboxes by name', () => {
    let d = applyEvent(emptyData, { type: 'sandbox', action: 'created', sandbox: sandbox() });
    expect(Object.keys(d.sandboxes)).toEqual(['shell-proj']);
    d = applyEvent(d, { type: 'sandbox', action: 'updated', sandbox: sandbox({ state: 'stopped' }) });
    expect(d.sandboxes['shell-proj']?.state).toBe('stopped');
    d = applyEvent(d, { type: 'sandbox-removed', name: 'shell-proj' });
    expect(d.sandboxes).toEqual({});
    d = applyEvent(d, { type: 'sandbox', action: 'created', sandbox: sandbox() });
    d = applyEvent(d, { type: 'sandbox', action: 'removed', sandbox: sandbox() });
    expect(d.sandboxes).toEqual({});
  });

  it('does not mutate the previous state', () => {
    const before: PaddockData = { ...emptyData, sandboxes: { a: sandbox({ name: 'a' }) } };
    const after = applyEvent(before, { type: 'sandbox-removed', name: 'a' });
    expect(before.sandboxes.a).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('tracks image state and keeps the last progress line only while building', () => {
    let d: PaddockData = { ...emptyData, agents: [agent('shell'), agent('claude')] };
    d = applyEvent(d, { type: 'image', agent: 'shell', state: 'building', progress: 'Step 1/5' });
    d = applyEvent(d, { type: 'image', agent: 'shell', state: 'building' });
    expect(d.agents[0]?.imageState).toBe('building');
    expect(d.imageProgress.shell).toBe('Step 1/5');
    d = applyEvent(d, { type: 'image', agent: 'shell', state: 'ready' });
    expect(d.agents[0]?.imageState).toBe('ready');
    expect(d.agents[1]?.imageState).toBe('absent');
    expect(d.imageProgress.shell).toBeUndefined();
  });

  it('a created sandbox marks its agent image ready (a create-time build sends no final event)', () => {
    let d: PaddockData = { ...emptyData, agents: [agent('shell'), agent('claude')] };
    d = applyEvent(d, { type: 'image', agent: 'shell', state: 'building', progress: 'Step 9/9' });
    d = applyEvent(d, { type: 'sandbox', action: 'created', sandbox: sandbox({ agent: 'shell' }) });
    expect(d.agents.map((a) => a.imageState)).toEqual(['ready', 'absent']);
    expect(d.imageProgress.shell).toBeUndefined();
  });

  it('replaces the workspace list', () => {
    const d = applyEvent(emptyData, { type: 'workspaces', workspaces: [{ path: '/a', addedAt: 'x' }] });
    expect(d.workspaces.map((w) => w.path)).toEqual(['/a']);
  });
});

describe('sandboxesOf / orphanSandboxes', () => {
  const data = {
    sandboxes: {
      a: sandbox({ name: 'a', workspace: '/w/one', createdAt: '2026-01-01' }),
      b: sandbox({ name: 'b', workspace: '/w/one/', createdAt: '2026-01-02' }),
      c: sandbox({ name: 'c', workspace: '/w/two' }),
    },
    workspaces: [{ path: '/w/one', addedAt: '' }],
  };
  it('groups by workspace ignoring a trailing slash, newest first', () => {
    expect(sandboxesOf(data, '/w/one').map((s) => s.name)).toEqual(['b', 'a']);
  });
  it('lists sandboxes of unknown workspaces', () => {
    expect(orphanSandboxes(data).map((s) => s.name)).toEqual(['c']);
  });
});
