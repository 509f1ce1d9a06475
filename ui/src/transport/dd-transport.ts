/**
 * Docker Desktop extension: REST through `ddClient.extension.vm.service` (the backend's Unix
 * socket, no token needed). The extension SDK has neither WebSocket nor streaming, so:
 *  - terminals use the backend's port published on 127.0.0.1 with a short-lived token from
 *    POST /terminal-token;
 *  - events: there is no SSE through vm.service, so this transport re-reads a snapshot
 *    (sandboxes, workspaces, agents) right after every change it makes and every
 *    DD_REFRESH_MS while the page is visible, and emits the difference as PaddockEvents
 *    (see snapshot-diff.ts). Image build progress lines are not available this way; the agent
 *    cards show "building" without the line.
 */
import { AgentInfo, API_PREFIX, SandboxInfo, Workspace, type PaddockEvent } from '../core';
import type { v1 } from '@docker/extension-api-client-types';
import { diffSnapshots, type Snapshot } from './snapshot-diff';
import {
  ApiError,
  apiErrorFrom,
  ClientErrorCode,
  sandboxPath,
  type FeedState,
  type HttpMethod,
  type TerminalEndpoint,
  type ToastLevel,
  type Transport,
} from './transport';

export const DD_REFRESH_MS = 3_000; // slow enough to be idle, quick enough that state feels live
export const DD_KICK_DELAY_MS = 250; // let paddockd finish the change before re-reading

type DdClient = v1.DockerDesktopClient;

interface TerminalToken {
  token: string;
  port: number;
  expiresAt: string;
}

export class DockerDesktopTransport implements Transport {
  readonly kind = 'docker-desktop' as const;
  private kick: (() => void) | null = null;

  constructor(private readonly dd: DdClient) {}

  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    try {
      // paddockd refuses an empty body labelled application/json (400), and the SDK does not say how
      // a null `data` goes over the socket: every non-GET request carries a JSON object.
      const withBody = method !== 'GET';
      const answer = await this.dd.extension.vm!.service!.request({
        url: `${API_PREFIX}${path}`,
        method,
        headers: withBody ? { 'Content-Type': 'application/json' } : {},
        data: withBody ? (body ?? {}) : null,
      });
      if (method !== 'GET') setTimeout(() => this.kick?.(), DD_KICK_DELAY_MS);
      return answer as T;
    } catch (e) {
      throw toApiError(e);
    }
  }

  subscribe(onEvent: (e: PaddockEvent) => void, onState: (s: FeedState) => void = () => {}): () => void {
    let prev: Snapshot | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;

    const refresh = async (): Promise<void> => {
      clearTimeout(timer);
      if (stopped || inFlight) return;
      inFlight = true;
      try {
        const [sandboxes, workspaces, agents] = await Promise.all([
          this.request('GET', '/sandboxes').then((x) => SandboxInfo.array().parse(x)),
          this.request('GET', '/workspaces').then((x) => Workspace.array().parse(x)),
          this.request('GET', '/agents').then((x) => AgentInfo.array().parse(x)),
        ]);
        const next = { sandboxes, workspaces, agents };
        if (prev === null) onState('live');
        for (const e of diffSnapshots(prev, next)) onEvent(e);
        prev = next;
      } catch {
        if (prev !== null) onState('down');
        prev = null;
      } finally {
        inFlight = false;
        if (!stopped) timer = setTimeout(() => void refresh(), pageVisible() ? DD_REFRESH_MS : DD_REFRESH_MS * 10);
      }
    };
    const onVisible = () => {
      if (pageVisible()) void refresh();
    };
    this.kick = () => void refresh();
    globalThis.document?.addEventListener('visibilitychange', onVisible);
    onState('connecting');
    void refresh();
    return () => {
      stopped = true;
      this.kick = null;
      clearTimeout(timer);
      globalThis.document?.removeEventListener('visibilitychange', onVisible);
    };
  }

  async openTerminal(sandbox: string, session: string): Promise<TerminalEndpoint> {
    const t = await this.request<TerminalToken>('POST', '/terminal-token');
    const q = `session=${encodeURIComponent(session)}&token=${encodeURIComponent(t.token)}`;
    return { url: `ws://127.0.0.1:${t.port}${API_PREFIX}${sandboxPath(sandbox, '/terminal')}?${q}` };
  }

  hostToast(level: ToastLevel, message: string): boolean {
    const toast = this.dd.desktopUI.toast;
    if (level === 'error') toast.error(message);
    else if (level === 'warning') toast.warning(message);
    else toast.success(message);
    return true;
  }

  pickFolder = async (): Promise<string | null> => {
    const r = await this.dd.desktopUI.dialog.showOpenDialog({ properties: ['openDirectory'] });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  };
}

function pageVisible(): boolean {
  return globalThis.document?.visibilityState !== 'hidden';
}

/** vm.service rejects with `{ name, message, statusCode }`; the message usually carries paddockd's JSON body. */
function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const err = e as Partial<v1.ServiceError> | undefined;
  if (err && typeof err.statusCode === 'number') return apiErrorFrom(err.statusCode, String(err.message ?? ''));
  return new ApiError(ClientErrorCode.Unreachable, 'The Paddock backend is not answering. Restart the extension from Docker Desktop.', 0);
}
