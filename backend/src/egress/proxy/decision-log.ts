/**
 * Every decision the proxy makes: counted per sandbox and host, kept in a bounded ring, printed as
 * a JSON line on stdout (the engine's bounded container log), and fanned out to followers.
 */
import type { DecisionRecord, SandboxCounters } from './control-protocol.js';

export const LOG_RING_SIZE = 5000; // recent decisions kept across all sandboxes; ~1 MB of JSON
export const HOSTS_TRACKED_PER_SANDBOX = 500; // per-host counters beyond this go to "(other)"

export type DecisionListener = (d: DecisionRecord) => void;

export class DecisionLog {
  private readonly ring: DecisionRecord[] = [];
  private readonly counters = new Map<string, SandboxCounters>();
  private readonly listeners = new Set<DecisionListener>();
  private seq = 0;

  constructor(private readonly print: (line: string) => void = () => {}) {}

  record(d: Omit<DecisionRecord, 'seq' | 'time'>): DecisionRecord {
    const rec: DecisionRecord = { seq: ++this.seq, time: new Date().toISOString(), ...d };
    this.ring.push(rec);
    if (this.ring.length > LOG_RING_SIZE) this.ring.splice(0, this.ring.length - LOG_RING_SIZE);
    this.count(rec);
    this.print(JSON.stringify(rec));
    for (const l of this.listeners) {
      try {
        l(rec);
      } catch {
        // a broken follower must not stop the proxy
      }
    }
    return rec;
  }

  private count(d: DecisionRecord): void {
    let c = this.counters.get(d.sandbox);
    if (!c) {
      c = { allowed: 0, denied: 0, bytesUp: 0, bytesDown: 0, hosts: {} };
      this.counters.set(d.sandbox, c);
    }
    if (d.allowed) c.allowed++;
    else c.denied++;
    c.bytesUp += d.bytesUp;
    c.bytesDown += d.bytesDown;
    const key = c.hosts[d.host] || Object.keys(c.hosts).length < HOSTS_TRACKED_PER_SANDBOX ? d.host : '(other)';
    const h = (c.hosts[key] ??= { allowed: 0, denied: 0, bytes: 0 });
    if (d.allowed) h.allowed++;
    else h.denied++;
    h.bytes += d.bytesUp + d.bytesDown;
  }

  recent(opts: { sandbox?: string; since?: number; limit?: number } = {}): DecisionRecord[] {
    const out = this.ring.filter((d) => (!opts.sandbox || d.sandbox === opts.sandbox) && d.seq > (opts.since ?? 0));
    return opts.limit ? out.slice(-opts.limit) : out;
  }

  stats(): Record<string, SandboxCounters> {
    return Object.fromEntries(this.counters);
  }

  forget(sandbox: string): void {
    this.counters.delete(sandbox);
  }

  subscribe(l: DecisionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
