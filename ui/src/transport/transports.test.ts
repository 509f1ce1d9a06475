/**
 * Both Transport implementations against fakes of what they sit on (fetch/EventSource,
 * ddClient): same questions, same answers, so the stores cannot tell them apart.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECONNECT_BASE_MS } from './backoff';
import { DD_REFRESH_MS, DockerDesktopTransport } from './dd-transport';
import { HttpTransport, parseEvent } from './http-transport';
import { ApiError, isUnauthorized, type FeedState } from './transport';
import { sandbox } from '../state/fixtures';
import type { PaddockEvent } from '../core';

class FakeEventSource {
  static all: FakeEventSource[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: MessageEvent<string>) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.all.push(this);
  }
  close() {
    this.closed = true;
  }
}

function jsonResponse(status: number, body: unknown, type = 'application/json') {
  return new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });
}

describe('HttpTransport', () => {
  beforeEach(() => {
    FakeEventSource.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const make = (fetchImpl: typeof fetch) =>
    new HttpTransport({ origin: 'http://127.0.0.1:7436', fetch: fetchImpl, EventSource: FakeEventSource as unknown as typeof EventSource });

  it('sends JSON to the versioned API with the session cookie and parses the answer', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(201, { path: '/w', addedAt: 'now' }));
    const t = make(fetchMock as unknown as typeof fetch);
    await expect(t.request('POST', '/workspaces', { path: '/w' })).resolves.toEqual({ path: '/w', addedAt: 'now' });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:7436/api/v1/workspaces');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBe('{"path":"/w"}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('resolves 204 to undefined', async () => {
    const t = make((async () => new Response(null, { status: 204 })) as unknown as typeof fetch);
    await expect(t.request('DELETE', '/sandboxes/x?force=true')).resolves.toBeUndefined();
  });

  it("turns paddockd's error body into an ApiError with its code and words", async () => {
    const t = make((async () => jsonResponse(400, { error: { code: 'bad_input', message: '/nope does not exist. Create the folder first.' } })) as unknown as typeof fetch);
    const err = await t.request('POST', '/workspaces', { path: '/nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'bad_input', status: 400, message: '/nope does not exist. Create the folder first.' });
  });

  it('recognises 401 even without a JSON body, and a dead daemon', async () => {
    const t401 = make((async () => jsonResponse(401, 'nope', 'text/plain')) as unknown as typeof fetch);
    expect(isUnauthorized(await t401.request('GET', '/sandboxes').catch((e: unknown) => e))).toBe(true);
    const down = make((async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch);
    const err = await down.request('GET', '/sandboxes').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unreachable' });
    expect((err as Error).message).toMatch(/paddock daemon start/);
  });

  it('streams events, skips unknown ones, and reconnects with backoff after an error', async () => {
    const t = make(vi.fn() as unknown as typeof fetch);
    const events: PaddockEvent[] = [];
    const states: FeedState[] = [];
    const stop = t.subscribe((e) => events.push(e), (s) => states.push(s));
    const es = FakeEventSource.all[0]!;
    expect(es.url).toBe('http://127.0.0.1:7436/api/v1/events');
    es.onopen?.();
    es.onmessage?.({ data: JSON.stringify({ type: 'sandbox-removed', name: 'a' }) } as MessageEvent<string>);
    es.onmessage?.({ data: JSON.stringify({ type: 'from-the-future', x: 1 }) } as MessageEvent<string>);
    es.onmessage?.({ data: 'not json' } as MessageEvent<string>);
    expect(events).toEqual([{ type: 'sandbox-removed', name: 'a' }]);
    es.onerror?.();
    expect(es.closed).toBe(true);
    expect(states).toEqual(['connecting', 'live', 'down']);
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS * 1.3);
    expect(FakeEventSource.all).toHaveLength(2);
    stop();
    expect(FakeEventSource.all[1]!.closed).toBe(true);
    FakeEventSource.all[1]!.onerror?.();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(2); // no reconnect after unsubscribe
  });

  it('opens terminals on the same origin, ws:// with the session query', async () => {
    const t = make(vi.fn() as unknown as typeof fetch);
    await expect(t.openTerminal('my box', 'shell-1')).resolves.toEqual({ url: 'ws://127.0.0.1:7436/api/v1/sandboxes/my%20box/terminal?session=shell-1' });
    expect(t.hostToast()).toBe(false);
  });

  it('parseEvent validates with the protocol schema', () => {
    expect(parseEvent(JSON.stringify({ type: 'toast', level: 'info', message: 'hi' }))).toEqual({ type: 'toast', level: 'info', message: 'hi' });
    expect(parseEvent(JSON.stringify({ type: 'toast', level: 'loud', message: 'hi' }))).toBeNull();
  });
});

describe('DockerDesktopTransport', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function fakeDd(routes: Record<string, () => unknown>) {
    const calls: { method: string; url: string; data: unknown }[] = [];
    const toasts: string[] = [];
    const dd = {
      extension: {
        vm: {
          service: {
            request: vi.fn(async (cfg: { url: string; method: string; data: unknown }) => {
              calls.push({ method: cfg.method, url: cfg.url, data: cfg.data });
              const route = routes[`${cfg.method} ${cfg.url}`];
              if (!route) throw { name: 'ServiceError', statusCode: 404, message: JSON.stringify({ error: { code: 'not_found', message: `No such endpoint: ${cfg.url}` } }) };
              return route();
            }),
          },
        },
      },
      desktopUI: {
        toast: { success: (m: string) => toasts.push(`success:${m}`), warning: (m: string) => toasts.push(`warning:${m}`), error: (m: string) => toasts.push(`error:${m}`) },
        dialog: { showOpenDialog: async () => ({ canceled: false, filePaths: ['/home/me/proj'] }) },
      },
    };
    return { dd: dd as unknown as ConstructorParameters<typeof DockerDesktopTransport>[0], calls, toasts };
  }

  it('sends REST through vm.service and maps service errors to ApiError', async () => {
    const { dd, calls } = fakeDd({ 'POST /api/v1/workspaces': () => ({ path: '/w', addedAt: '' }) });
    const t = new DockerDesktopTransport(dd);
    await expect(t.request('POST', '/workspaces', { path: '/w' })).resolves.toEqual({ path: '/w', addedAt: '' });
    expect(calls[0]).toEqual({ method: 'POST', url: '/api/v1/workspaces', data: { path: '/w' } });
    await expect(t.request('GET', '/nope')).rejects.toMatchObject({ code: 'not_found', status: 404, message: 'No such endpoint: /api/v1/nope' });
  });

  it('terminals go to the published 127.0.0.1 port with a fresh short-lived token', async () => {
    let n = 0;
    const { dd } = fakeDd({ 'POST /api/v1/terminal-token': () => ({ token: `tok${++n}`, port: 7436, expiresAt: '' }) });
    const t = new DockerDesktopTransport(dd);
    expect((await t.openTerminal('sb', 'agent')).url).toBe('ws://127.0.0.1:7436/api/v1/sandboxes/sb/terminal?session=agent&token=tok1');
    expect((await t.openTerminal('sb', 'agent')).url).toContain('token=tok2');
  });

  it('turns snapshot changes into events, re-reading right after its own changes', async () => {
    let list = [sandbox({ name: 'a' })];
    const { dd, calls } = fakeDd({
      'GET /api/v1/sandboxes': () => list,
      'GET /api/v1/workspaces': () => [],
      'GET /api/v1/agents': () => [],
      'POST /api/v1/sandboxes/a/stop': () => {
        list = [sandbox({ name: 'a', state: 'stopped' })];
        return list[0];
      },
    });
    const t = new DockerDesktopTransport(dd);
    const events: PaddockEvent[] = [];
    const states: FeedState[] = [];
    const stop = t.subscribe((e) => events.push(e), (s) => states.push(s));
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['connecting', 'live']);
    expect(events.map((e) => e.type)).toEqual(['sandbox', 'workspaces']);
    events.length = 0;
    await t.request('POST', '/sandboxes/a/stop');
    await vi.advanceTimersByTimeAsync(300); // well before DD_REFRESH_MS
    expect(events).toEqual([{ type: 'sandbox', action: 'updated', sandbox: list[0] }]);
    const reads = calls.filter((c) => c.url === '/api/v1/sandboxes').length;
    await vi.advanceTimersByTimeAsync(DD_REFRESH_MS);
    expect(calls.filter((c) => c.url === '/api/v1/sandboxes').length).toBe(reads + 1);
    stop();
    await vi.advanceTimersByTimeAsync(DD_REFRESH_MS * 5);
    expect(calls.filter((c) => c.url === '/api/v1/sandboxes').length).toBe(reads + 1);
  });

  it('uses Docker Desktop toasts and folder picker', async () => {
    const { dd, toasts } = fakeDd({});
    const t = new DockerDesktopTransport(dd);
    expect(t.hostToast('error', 'boom')).toBe(true);
    t.hostToast('info', 'fyi');
    expect(toasts).toEqual(['error:boom', 'success:fyi']);
    await expect(t.pickFolder()).resolves.toBe('/home/me/proj');
  });
});
