/**
 * Network decisions arrive per request (thousands a minute); the audit log gets one record per
 * sandbox, host and minute with counts and bytes. Pure bookkeeping plus one timer.
 */
export const NETWORK_FLUSH_MS = 60_000; // one record per host per minute, as the log promises

export interface NetworkSummary {
  sandbox: string;
  host: string;
  /** Start of the minute, ISO. */
  minute: string;
  allowed: number;
  denied: number;
  bytes: number;
}

interface Bucket extends NetworkSummary {
  minuteMs: number;
}

export class NetworkAggregator {
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: (s: NetworkSummary) => void,
    private readonly now: () => number = Date.now,
    flushMs: number = NETWORK_FLUSH_MS,
  ) {
    if (flushMs > 0) {
      this.timer = setInterval(() => this.flushBefore(this.minuteOf(this.now())), flushMs);
      this.timer.unref(); // never keeps paddockd alive on its own
    }
  }

  private minuteOf(ms: number): number {
    return ms - (ms % 60_000);
  }

  add(sandbox: string, host: string, allowed: boolean, bytes: number): void {
    const minuteMs = this.minuteOf(this.now());
    const key = `${sandbox}\u0000${host}`;
    let b = this.buckets.get(key);
    if (b && b.minuteMs !== minuteMs) {
      this.emit(b);
      b = undefined;
    }
    if (!b) {
      b = { sandbox, host, minute: new Date(minuteMs).toISOString(), minuteMs, allowed: 0, denied: 0, bytes: 0 };
      this.buckets.set(key, b);
    }
    if (allowed) b.allowed++;
    else b.denied++;
    b.bytes += Math.max(0, bytes);
  }

  /** Emit every bucket of a minute before `minuteMs` (finished minutes). */
  flushBefore(minuteMs: number): void {
    for (const b of [...this.buckets.values()]) if (b.minuteMs < minuteMs) this.emit(b);
  }

  /** Emit everything, finished or not (shutdown). */
  flushAll(): void {
    for (const b of [...this.buckets.values()]) this.emit(b);
  }

  private emit(b: Bucket): void {
    this.buckets.delete(`${b.sandbox}\u0000${b.host}`);
    const { minuteMs: _m, ...summary } = b;
    this.sink(summary);
  }

  get open(): number {
    return this.buckets.size;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flushAll();
  }
}
