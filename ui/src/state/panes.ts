/**
 * Which terminal panes are open and how they are laid out. Persisted in localStorage so a
 * reload re-attaches the same panes (paddockd replays their scrollback).
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { clampSplit, MAX_GRID_PANES } from '../features/terminals/grid-layout';

export interface Pane {
  /** `${sandbox}/${session}` */
  id: string;
  sandbox: string;
  session: string;
  title: string;
}

export type LayoutMode = 'grid' | 'tabs';

export interface PaneState {
  panes: Pane[];
  /** Most recently focused first; in grid mode the first MAX_GRID_PANES of these are shown. */
  mru: string[];
  mode: LayoutMode;
  maximized: string | null;
  /** Fraction of the width given to the left column, and of the height to the top row. */
  colSplit: number;
  rowSplit: number;
  open(p: Omit<Pane, 'id'>): string;
  focus(id: string): void;
  close(id: string): void;
  closeSandbox(sandbox: string): void;
  setMode(m: LayoutMode): void;
  toggleMaximized(id: string): void;
  setSplit(axis: 'col' | 'row', f: number): void;
}

export const paneId = (sandbox: string, session: string) => `${sandbox}/${session}`;

export type PaneData = Pick<PaneState, 'panes' | 'mru' | 'mode' | 'maximized' | 'colSplit' | 'rowSplit'>;

/** Pure transitions, so they can be tested without a store. */
export const paneOps = {
  open(s: PaneData, p: Omit<Pane, 'id'>): PaneData {
    const id = paneId(p.sandbox, p.session);
    const panes = s.panes.some((x) => x.id === id) ? s.panes : [...s.panes, { ...p, id }];
    return { ...s, panes, mru: [id, ...s.mru.filter((x) => x !== id)], maximized: s.maximized === id ? id : null };
  },
  focus(s: PaneData, id: string): PaneData {
    if (!s.panes.some((p) => p.id === id)) return s;
    return { ...s, mru: [id, ...s.mru.filter((x) => x !== id)] };
  },
  close(s: PaneData, ids: (id: string) => boolean): PaneData {
    return {
      ...s,
      panes: s.panes.filter((p) => !ids(p.id)),
      mru: s.mru.filter((x) => !ids(x)),
      maximized: s.maximized && ids(s.maximized) ? null : s.maximized,
    };
  },
};

/** Panes on screen: the maximized one; the active tab; or the most recent MAX_GRID_PANES, in the order they were opened (stable positions). */
export function visiblePanes(s: Pick<PaneData, 'panes' | 'mru' | 'mode' | 'maximized'>): Pane[] {
  const byId = new Map(s.panes.map((p) => [p.id, p]));
  if (s.maximized && byId.has(s.maximized)) return [byId.get(s.maximized)!];
  const active = s.mru.find((id) => byId.has(id)) ?? s.panes[0]?.id;
  if (!active) return [];
  if (s.mode === 'tabs') return [byId.get(active)!];
  const shown = new Set(s.mru.filter((id) => byId.has(id)).slice(0, MAX_GRID_PANES));
  for (const p of s.panes) if (shown.size < MAX_GRID_PANES) shown.add(p.id);
  return s.panes.filter((p) => shown.has(p.id));
}

export const usePanes = create<PaneState>()(
  persist(
    (set) => ({
      panes: [],
      mru: [],
      mode: 'grid',
      maximized: null,
      colSplit: 0.5,
      rowSplit: 0.5,
      open: (p) => {
        set((s) => paneOps.open(s, p));
        return paneId(p.sandbox, p.session);
      },
      focus: (id) => set((s) => paneOps.focus(s, id)),
      close: (id) => set((s) => paneOps.close(s, (x) => x === id)),
      closeSandbox: (sandbox) => set((s) => paneOps.close(s, (x) => x.startsWith(`${sandbox}/`))),
      setMode: (mode) => set({ mode, maximized: null }),
      toggleMaximized: (id) => set((s) => ({ maximized: s.maximized === id ? null : id })),
      setSplit: (axis, f) => set(axis === 'col' ? { colSplit: clampSplit(f) } : { rowSplit: clampSplit(f) }),
    }),
    {
      name: 'paddock.panes.v1',
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ panes: s.panes, mru: s.mru, mode: s.mode, maximized: s.maximized, colSplit: s.colSplit, rowSplit: s.rowSplit }),
    },
  ),
);
