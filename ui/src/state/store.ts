/**
 * The dashboard's data: one zustand store fed by paddockd's event stream. A snapshot is loaded
 * on every (re)connect of the feed — events missed while it was down are covered by that — and
 * mutations apply their answer at once, so the UI never waits on the echo of its own action.
 */
import type { PaddockEvent, SandboxInfo } from '../core';
import { create } from 'zustand';
import { errorMessage, isUnauthorized, type FeedState, type ToastLevel, type Transport } from '../transport/transport';
import { makeApi, type Api } from './api';
import { applyEvent, emptyData, type PaddockData } from './reduce';

export interface Toast {
  id: number;
  level: ToastLevel;
  message: string;
}

export interface PaddockStore extends PaddockData {
  feed: FeedState;
  /** Set once a request got 401: the session cookie is gone or expired. */
  unauthorized: boolean;
  /** True after the first snapshot arrived (until then, show skeletons, not empty states). */
  loaded: boolean;
  loadError: string | null;
  toasts: Toast[];
  apply(e: PaddockEvent): void;
  upsertSandbox(s: SandboxInfo): void;
  dropSandbox(name: string): void;
  toast(level: ToastLevel, message: string): void;
  dismissToast(id: number): void;
  setFeed(s: FeedState): void;
  setLoaded(data: Partial<PaddockData>): void;
  setLoadError(message: string | null): void;
  setUnauthorized(): void;
}

let toastSeq = 0;

export const usePaddock = create<PaddockStore>()((set) => ({
  ...emptyData,
  feed: 'connecting',
  unauthorized: false,
  loaded: false,
  loadError: null,
  toasts: [],
  apply: (e) => set((s) => applyEvent(s, e)),
  upsertSandbox: (sb) => set((s) => applyEvent(s, { type: 'sandbox', action: 'updated', sandbox: sb })),
  dropSandbox: (name) => set((s) => applyEvent(s, { type: 'sandbox-removed', name })),
  toast: (level, message) => set((s) => ({ toasts: [...s.toasts, { id: ++toastSeq, level, message }] })),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  setFeed: (feed) => set({ feed }),
  setLoaded: (data) => set({ ...data, loaded: true, loadError: null }),
  setLoadError: (loadError) => set({ loadError }),
  setUnauthorized: () => set({ unauthorized: true }),
}));

let current: { transport: Transport; api: Api } | null = null;

/** The transport and API the app was started with. */
export function client(): { transport: Transport; api: Api } {
  if (!current) throw new Error('startPaddock() has not been called');
  return current;
}

/** Shows a toast through the host (Docker Desktop) or the dashboard's own snackbar. */
export function notify(level: ToastLevel, message: string): void {
  if (current?.transport.hostToast(level, message)) return;
  usePaddock.getState().toast(level, message);
}

/** Reports a failed action in words, or switches to the login screen on 401. */
export function reportError(e: unknown, what?: string): void {
  if (isUnauthorized(e)) {
    usePaddock.getState().setUnauthorized();
    return;
  }
  notify('error', what ? `${what}: ${errorMessage(e)}` : errorMessage(e));
}

async function loadSnapshot(api: Api): Promise<void> {
  const store = usePaddock.getState();
  try {
    const [sandboxes, workspaces, agents, runtimes] = await Promise.all([api.sandboxes(), api.workspaces(), api.agents(), api.runtimes()]);
    store.setLoaded({
      sandboxes: Object.fromEntries(sandboxes.map((s) => [s.name, s])),
      workspaces,
      agents,
      runtimes,
    });
  } catch (e) {
    if (isUnauthorized(e)) store.setUnauthorized();
    else store.setLoadError(errorMessage(e));
  }
}

/** Connects the store to paddockd. Returns a function that disconnects it. */
export function startPaddock(transport: Transport): () => void {
  const api = makeApi(transport);
  current = { transport, api };
  const store = usePaddock.getState();
  const unsubscribe = transport.subscribe(
    (e) => {
      if (e.type === 'toast') notify(e.level, e.message);
      else usePaddock.getState().apply(e);
    },
    (state) => {
      store.setFeed(state);
      if (state === 'live') void loadSnapshot(api);
      // A dropped feed may mean the session expired: one cheap request tells 401 from "daemon down".
      if (state === 'down') api.runtimes().catch((e: unknown) => isUnauthorized(e) && store.setUnauthorized());
    },
  );
  // HTTP feeds report 'live' on open and load then; load now too so a slow feed does not delay the first paint.
  void loadSnapshot(api);
  return () => {
    unsubscribe();
    current = null;
  };
}
