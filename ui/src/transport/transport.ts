/**
 * The one seam between the dashboard and paddockd. Two implementations: plain HTTP (standalone
 * dashboard served by paddockd) and Docker Desktop (`window.ddClient`). Everything above this
 * file is transport-agnostic.
 */
import type { PaddockEvent } from '../core';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Live-ness of the event feed, shown in the app bar. */
export type FeedState = 'connecting' | 'live' | 'down';

export type ToastLevel = 'info' | 'success' | 'warning' | 'error';

export interface TerminalEndpoint {
  /** Full ws:// URL, including any short-lived auth token. */
  url: string;
}

export interface Transport {
  readonly kind: 'http' | 'docker-desktop';
  /** `path` is relative to API_PREFIX, e.g. `/sandboxes`. Resolves with parsed JSON, or undefined for 204. Rejects with ApiError. */
  request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
  /**
   * Delivers every PaddockEvent until the returned function is called. `onState` reports
   * connects/drops; after each (re)connect the caller should reload its snapshot, since
   * events may have been missed while down.
   */
  subscribe(onEvent: (e: PaddockEvent) => void, onState?: (s: FeedState) => void): () => void;
  /** Where to open the terminal WebSocket for one session of a sandbox. */
  openTerminal(sandbox: string, session: string): Promise<TerminalEndpoint>;
  /** Shows a toast through the host when it has its own (Docker Desktop); false means "show it yourself". */
  hostToast(level: ToastLevel, message: string): boolean;
  /** A native folder picker, where the host offers one. */
  pickFolder?: () => Promise<string | null>;
  /**
   * A server-sent event stream other than the event feed (`/audit/follow`), one JSON value per
   * message, with the same reconnect and states as `subscribe`. Absent where the host has no
   * streams (Docker Desktop): callers poll instead.
   */
  stream?(path: string, onData: (data: unknown) => void, onState?: (s: FeedState) => void): () => void;
}

/** Error codes the UI adds to core's ErrorCode for failures that never reached paddockd. */
export const ClientErrorCode = {
  Unreachable: 'unreachable',
  BadResponse: 'bad_response',
} as const;

/** A failed request, carrying paddockd's stable `code` and its human message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

export function isUnauthorized(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.code === 'unauthorized');
}

/** Words for a person, whatever was thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Turns a non-2xx answer into an ApiError, preferring paddockd's `{error:{code,message}}` body. */
export function apiErrorFrom(status: number, bodyText: string): ApiError {
  try {
    const parsed = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown } };
    if (parsed && typeof parsed.error?.message === 'string') {
      const code = typeof parsed.error.code === 'string' ? parsed.error.code : 'internal';
      return new ApiError(code, parsed.error.message, status);
    }
  } catch {
    // not JSON: fall through to a generic message
  }
  if (status === 401) return new ApiError('unauthorized', 'Your dashboard session has expired.', 401);
  const detail = bodyText.trim().slice(0, 200);
  return new ApiError('internal', `paddockd answered ${status}${detail ? `: ${detail}` : ''}`, status);
}

export function sandboxPath(name: string, rest = ''): string {
  return `/sandboxes/${encodeURIComponent(name)}${rest}`;
}
