import { afterEach, describe, expect, it } from 'vitest';
import type { PaddockEvent } from '../core';
import { ApiError, type FeedState, type HttpMethod, type Transport } from '../transport/transport';
import { sandbox } from './fixtures';
import { startPaddock, usePaddock } from './store';

/** A transport driven by the test: canned GET answers, events pushed by hand. */
function fakeTransport(answers: Record<string, unknown>, opts: { hostToasts?: boolean } = {}) {
  let push: (e: PaddockEvent) => void = () => {};
  let state: (s: FeedState) => void = () => {};
  const hostToasts: string[] = [];
  const t: Transport = {
    kind: 'http',
    async request<T>(method: HttpMethod, path: string): Promise<T> {
      const a = answers[`${method} ${path}`];
      if (a instanceof Error) throw a;
      if (a === undefined) throw new ApiError('not_found', `no ${path}`, 404);
      return a as T;
    },
    subscribe(onEvent, onState = () => {}) {
      push = onEvent;
      state = onState;
      onState('connecting');
      return () => {
        push = () => {};
      };
    },
    openTerminal: async () => ({ url: 'ws://x' }),
    hostToast: (level, message) => {
      if (!opts.hostToasts) return false;
      hostToasts.push(`${level}:${message}`);
      return true;
    },
  };
  return { t, push: (e: PaddockEvent) => push(e), state: (s: FeedState) => state(s), hostToasts };
}

const snapshot = {
  'GET /sandboxes': [sandbox({ name: 'a' })],
  'GET /workspaces': [{ path: '/tmp/proj', addedAt: '2026-01-01T00:00:00Z' }],
  'GET /agents': [],
  'GET /runtimes': [{ isolation: 'container', available: true, runtime: 'runc', reason: null }],
};
const settle = () => new Promise((r) => setTimeout(r, 0));
let stop: () => void = () => {};

afterEach(() => {
  stop();
  usePaddock.setState({ sandboxes: {}, workspaces: [], agents: [], runtimes: [], loaded: false, unauthorized: false, toasts: [], feed: 'connecting', loadError: null });
});

describe('startPaddock', () => {
  it('loads a snapshot, then follows events; reloads after the feed comes back', async () => {
    const f = fakeTransport({ ...snapshot });
    stop = startPaddock(f.t);
    await settle();
    expect(usePaddock.getState().loaded).toBe(true);
    expect(Object.keys(usePaddock.getState().sandboxes)).toEqual(['a']);
    f.state('live');
    f.push({ type: 'sandbox', action: 'created', sandbox: sandbox({ name: 'b' }) });
    f.push({ type: 'sandbox-removed', name: 'a' });
    expect(Object.keys(usePaddock.getState().sandboxes)).toEqual(['b']);
    expect(usePaddock.getState().feed).toBe('live');
    // While down, "a" came back on the server; the reload on reconnect picks it up.
    f.state('down');
    f.state('live');
    await settle();
    expect(Object.keys(usePaddock.getState().sandboxes)).toEqual(['a']);
  });

  it('routes toast events to the snackbar queue, or to the host when it has toasts', async () => {
    const own = fakeTransport({ ...snapshot });
    stop = startPaddock(own.t);
    own.push({ type: 'toast', level: 'success', message: 'Shell image is ready' });
    expect(usePaddock.getState().toasts.map((t) => t.message)).toEqual(['Shell image is ready']);
    stop();
    usePaddock.setState({ toasts: [] });
    const dd = fakeTransport({ ...snapshot }, { hostToasts: true });
    stop = startPaddock(dd.t);
    dd.push({ type: 'toast', level: 'error', message: 'build failed' });
    expect(dd.hostToasts).toEqual(['error:build failed']);
    expect(usePaddock.getState().toasts).toEqual([]);
  });

  it('switches to the login screen when paddockd answers 401', async () => {
    const f = fakeTransport({ ...snapshot, 'GET /sandboxes': new ApiError('unauthorized', 'Not logged in.', 401) });
    stop = startPaddock(f.t);
    await settle();
    expect(usePaddock.getState().unauthorized).toBe(true);
    expect(usePaddock.getState().loaded).toBe(false);
  });

  it('shows other load failures in words', async () => {
    const f = fakeTransport({ ...snapshot, 'GET /agents': new ApiError('engine_unavailable', 'Docker is not running. Start Docker and try again.', 503) });
    stop = startPaddock(f.t);
    await settle();
    expect(usePaddock.getState().loadError).toBe('Docker is not running. Start Docker and try again.');
  });
});
