import { describe, expect, it } from 'vitest';
import type { AgentInfo } from '../core';
import { sandbox } from '../state/fixtures';
import { diffSnapshots } from './snapshot-diff';

const agent = (name: string, imageState: AgentInfo['imageState']): AgentInfo => ({ name, title: name, description: '', custom: false, image: '', imageState, hosts: [], command: [] });

describe('diffSnapshots', () => {
  it('emits everything on the first snapshot', () => {
    const ev = diffSnapshots(null, { sandboxes: [sandbox({ name: 'a' })], workspaces: [{ path: '/w', addedAt: '' }], agents: [agent('shell', 'ready')] });
    expect(ev.map((e) => e.type)).toEqual(['sandbox', 'workspaces', 'image']);
  });

  it('emits only what changed', () => {
    const prev = { sandboxes: [sandbox({ name: 'a' }), sandbox({ name: 'b' })], workspaces: [{ path: '/w', addedAt: '' }], agents: [agent('shell', 'absent')] };
    const next = {
      sandboxes: [sandbox({ name: 'a', state: 'stopped' }), sandbox({ name: 'c' })],
      workspaces: [{ path: '/w', addedAt: '' }],
      agents: [agent('shell', 'building')],
    };
    expect(diffSnapshots(prev, next)).toEqual([
      { type: 'sandbox', action: 'updated', sandbox: next.sandboxes[0] },
      { type: 'sandbox', action: 'created', sandbox: next.sandboxes[1] },
      { type: 'sandbox-removed', name: 'b' },
      { type: 'image', agent: 'shell', state: 'building' },
    ]);
    expect(diffSnapshots(next, next)).toEqual([]);
  });
});
