/**
 * Standalone dashboard: served by paddockd on 127.0.0.1, authenticated by the `paddock_session`
 * cookie set at /login. REST with fetch, events with EventSource, terminals with a same-origin
 * WebSocket (the cookie goes along).
 */
import { API_PREFIX, PaddockEvent } from '../core';
import { backoffDelay } from './backoff';
import {
  ApiError,
  apiErrorFrom,
  ClientErrorCode,
  sandboxPath,
  type FeedState,
  type HttpMethod,
  type TerminalEndpoint,
  type Transport,
} from './transport';

export interface HttpTransportOptions {
  /** Origin of paddockd, e.g. http://127.0.0.1:7436. Defaults to the page's origin. */
  origin?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  private readonly origin: string;
  private readonly fetchImpl: typeof fetch;
  private readonly EventSourceImpl: typeof EventSource;

  constructor(opts: HttpTransportOptions = {}) {
    this.origin = opts.origin ?? window.location.origin;
    this.fetchImpl = opts.fetch ?? window.fetch.bind(window);
    this.EventSourceImpl = opts.EventSource ?? window.EventSource;
  }

  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.origin}${API_PREFIX}${path}`, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(ClientErrorCode.Unreachable, 'Cannot reach paddockd. Start it with `paddock daemon start`, then reload this page.', 0);
    }
    const text = await res.text();
    if (!res.ok) throw apiErrorFrom(res.status, text);
    if (res.status === 204 || text === '') return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('json')) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(ClientErrorCode.BadResponse, `paddockd sent a malformed answer to ${method} ${path}.`, res.status);
    }
  }

  subscribe(onEvent: (e: PaddockEvent) => void, onState: (s: FeedState) => void = () => {}): () => void {
    return this.stream(
      '/events',
      (data) => {
        const parsed = PaddockEvent.safeParse(data);
        if (parsed.success) onEvent(parsed.data);
      },
      onState,
    );
  }

  stream(path: string, onData: (data: unknown) => void, onState: (s: FeedState) => void = () => {}): () => void {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;

    const connect = (): void => {
      onState('connecting');
      source = new this.EventSourceImpl(`${this.origin}${API_PREFIX}${path}`, { withCredentials: true });
      source.onopen = () => {
        attempt = 0;
        onState('live');
      };
      source.onmessage = (msg: MessageEvent<string>) => {
        let json: unknown;
        try {
          json = JSON.parse(msg.data);
        } catch {
          return; // not JSON: skip it, like an unknown event type
        }
        onData(json);
      };
      // EventSource's own retry gives up for good on a non-200 answer (401, 503); we own the
      // retries instead so the backoff and the "down" state are the same in every case.
      source.onerror = () => {
        source?.close();
        source = null;
        if (stopped) return;
        onState('down');
        timer = setTimeout(connect, backoffDelay(attempt++));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }

  async openTerminal(sandbox: string, session: string): Promise<TerminalEndpoint> {
    const wsOrigin = this.origin.replace(/^http/, 'ws');
    return { url: `${wsOrigin}${API_PREFIX}${sandboxPath(sandbox, '/terminal')}?session=${encodeURIComponent(session)}` };
  }

  hostToast(): boolean {
    return false;
  }
}

/** One `data:` payload → a known event, or null (unknown types are skipped so newer daemons do not break older pages). */
export function parseEvent(data: string): PaddockEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = PaddockEvent.safeParse(json);
  return parsed.success ? parsed.data : null;
}
