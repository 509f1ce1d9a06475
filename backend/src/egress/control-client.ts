/** paddockd's side of the proxy's control port: push configs, read stats, follow decisions. */
import type { DecisionRecord, ProxyHealth, ProxySandboxConfig, SandboxCounters } from './proxy/control-protocol.js';

export const CONTROL_TIMEOUT_MS = 10_000; // the proxy answers in milliseconds; on a machine loaded to its limits it can take seconds
export const FOLLOW_RETRY_MS = 1000; // reconnect delay of the decision stream after the proxy restarts

export class ControlClient {
  constructor(
    private readonly baseUrl: () => Promise<string>,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${await this.baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`proxy answered ${res.status} to ${method} ${path}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  health(): Promise<ProxyHealth> {
    return this.call('GET', '/v1/health');
  }

  put(config: ProxySandboxConfig): Promise<void> {
    return this.call('PUT', `/v1/sandboxes/${encodeURIComponent(config.name)}`, config);
  }

  remove(name: string): Promise<void> {
    return this.call('DELETE', `/v1/sandboxes/${encodeURIComponent(name)}`);
  }

  stats(): Promise<Record<string, SandboxCounters>> {
    return this.call('GET', '/v1/stats');
  }

  setHostAddresses(addresses: string[]): Promise<void> {
    return this.call('PUT', '/v1/host-addresses', { addresses });
  }

  setResolveOverride(map: Record<string, string[]>): Promise<void> {
    return this.call('PUT', '/v1/resolve-override', map);
  }

  async recent(sandbox: string, limit: number): Promise<DecisionRecord[]> {
    const res = await fetch(`${await this.baseUrl()}/v1/log?sandbox=${encodeURIComponent(sandbox)}&limit=${limit}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`proxy answered ${res.status} to the log request`);
    return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as DecisionRecord);
  }

  /**
   * Follow every decision from now on (no replay of history: `recent` is for that); reconnects
   * after proxy restarts until the returned function is called.
   */
  follow(onDecision: (d: DecisionRecord) => void): () => void {
    let stopped = false;
    let controller: AbortController | null = null;
    const run = async (): Promise<void> => {
      while (!stopped) {
        controller = new AbortController();
        try {
          const res = await fetch(`${await this.baseUrl()}/v1/log?follow=1&since=${Number.MAX_SAFE_INTEGER}`, {
            headers: { authorization: `Bearer ${this.token}` },
            signal: controller.signal,
          });
          if (!res.ok || !res.body) throw new Error(`log stream answered ${res.status}`);
          let buf = '';
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            buf += decoder.decode(chunk, { stream: true });
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line) onDecision(JSON.parse(line) as DecisionRecord);
            }
          }
        } catch {
          // proxy down or restarting: retry below
        }
        if (!stopped) await new Promise((r) => setTimeout(r, FOLLOW_RETRY_MS));
      }
    };
    void run();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}
