/** What the user is looking at: the page (kept in the URL hash), the launch dialog and the settings drawer. */
import { create } from 'zustand';

export type View = 'workspaces' | 'agents' | 'terminals';
const VIEWS: readonly View[] = ['workspaces', 'agents', 'terminals'];

export function viewFromHash(hash: string): View {
  const v = hash.replace(/^#\/?/, '') as View;
  return VIEWS.includes(v) ? v : 'workspaces';
}

export interface LaunchPrefill {
  workspace?: string;
  agent?: string;
}

interface UiState {
  view: View;
  launch: LaunchPrefill | null;
  settingsFor: string | null;
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
  go: (view) => {
    if (typeof location !== 'undefined' && location.hash !== `#/${view}`) history.replaceState(null, '', `#/${view}`);
    set({ view });
  },
  openLaunch: (p = {}) => set({ launch: p }),
  closeLaunch: () => set({ launch: null }),
  openSettings: (settingsFor) => set({ settingsFor }),
  closeSettings: () => set({ settingsFor: null }),
}));
