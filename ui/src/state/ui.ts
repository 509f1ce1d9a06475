/** What the user is looking at: the page (kept in the URL hash), the launch dialog and the settings drawer. */
import { create } from 'zustand';

export type View = 'workspaces' | 'agents' | 'terminals' | 'secrets' | 'policy' | 'activity';
const VIEWS: readonly View[] = ['workspaces', 'agents', 'terminals', 'secrets', 'policy', 'activity'];

export function viewFromHash(hash: string): View {
  const v = hash.replace(/^#\/?/, '') as View;
  return VIEWS.includes(v) ? v : 'workspaces';
}

export interface LaunchPrefill {
  workspace?: string;
  agent?: string;
}

/** A saved settings change that reaches a sandbox only after a restart or a recreate (kept while the drawer is closed). */
export interface PendingApply {
  restartReasons: string[];
  recreate: boolean;
}

interface UiState {
  view: View;
  launch: LaunchPrefill | null;
  settingsFor: string | null;
  pending: Record<string, PendingApply>;
  setPending(sandbox: string, p: PendingApply): void;
  /**
   * Forms the user left for another page ("Manage stored secrets"), by key ('launch',
   * 'settings:<sandbox>'): reopening the form restores what was typed.
   */
  drafts: Record<string, unknown>;
  saveDraft(key: string, values: unknown): void;
  /** Forget a draft once its form has read it back (read with `drafts[key]`: initializers may run twice). */
  dropDraft(key: string): void;
  go(v: View): void;
  openLaunch(p?: LaunchPrefill): void;
  closeLaunch(): void;
  openSettings(sandbox: string): void;
  closeSettings(): void;
}

export const useUi = create<UiState>()((set) => ({
  view: viewFromHash(typeof location === 'undefined' ? '' : location.hash),
  launch: null,
  settingsFor: null,
  pending: {},
  drafts: {},
  saveDraft: (key, values) => set((s) => ({ drafts: { ...s.drafts, [key]: values } })),
  dropDraft: (key) =>
    set((s) => {
      if (!(key in s.drafts)) return s;
      const drafts = { ...s.drafts };
      delete drafts[key];
      return { drafts };
    }),

  setPending: (sandbox, p) =>
    set((s) => {
      const pending = { ...s.pending };
      if (p.restartReasons.length || p.recreate) pending[sandbox] = p;
      else delete pending[sandbox];
      return { pending };
    }),
  go: (view) => {
    if (typeof location !== 'undefined' && location.hash !== `#/${view}`) history.replaceState(null, '', `#/${view}`);
    set({ view });
  },
  openLaunch: (p = {}) => set({ launch: p }),
  closeLaunch: () => set({ launch: null }),
  openSettings: (settingsFor) => set({ settingsFor }),
  closeSettings: () => set({ settingsFor: null }),
}));
