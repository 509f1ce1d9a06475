import { describe, expect, it } from 'vitest';
import { paneOps, visiblePanes, type PaneData } from './panes';

const base: PaneData = { panes: [], mru: [], mode: 'grid', maximized: null, colSplit: 0.5, rowSplit: 0.5 };
const open = (names: string[]): PaneData => names.reduce((s, n) => paneOps.open(s, { sandbox: n, session: 'agent', title: n }), base);

describe('panes', () => {
  it('opening the same session twice keeps one pane and focuses it', () => {
    let s = open(['a', 'b']);
    s = paneOps.open(s, { sandbox: 'a', session: 'agent', title: 'a' });
    expect(s.panes.map((p) => p.id)).toEqual(['a/agent', 'b/agent']);
    expect(s.mru[0]).toBe('a/agent');
  });

  it('grid shows up to four panes in opening order; the most recently used win', () => {
    let s = open(['a', 'b', 'c', 'd', 'e']);
    expect(visiblePanes(s).map((p) => p.sandbox)).toEqual(['b', 'c', 'd', 'e']);
    s = paneOps.focus(s, 'a/agent');
    expect(visiblePanes(s).map((p) => p.sandbox)).toEqual(['a', 'c', 'd', 'e']);
  });

  it('tabs show only the active pane; maximized beats everything', () => {
    let s: PaneData = { ...open(['a', 'b']), mode: 'tabs' };
    expect(visiblePanes(s).map((p) => p.sandbox)).toEqual(['b']);
    s = { ...s, mode: 'grid', maximized: 'a/agent' };
    expect(visiblePanes(s).map((p) => p.sandbox)).toEqual(['a']);
  });

  it('closing all sessions of a sandbox clears its maximize', () => {
    let s = open(['a', 'b']);
    s = paneOps.open(s, { sandbox: 'a', session: 'shell-1', title: 'a shell' });
    s = { ...s, maximized: 'a/shell-1' };
    s = paneOps.close(s, (id) => id.startsWith('a/'));
    expect(s.panes.map((p) => p.id)).toEqual(['b/agent']);
    expect(s.maximized).toBeNull();
    expect(visiblePanes(s).map((p) => p.id)).toEqual(['b/agent']);
  });
});
