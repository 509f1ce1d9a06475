/**
 * A bound on each sandbox's writable layer where the engine has no storage quota.
 *
 * `--storage-opt size=` needs overlay2 on xfs with pquota (or devicemapper/btrfs/zfs); on the
 * common overlay2-on-ext4 host the engine refuses it, so a sandbox could fill the host's disk by
 * writing outside its workspace (/var/tmp, /usr/local, caches). The watch polls each running
 * sandbox's SizeRw and calls `onExceeded` (paddockd stops the sandbox) once it passes the limit.
 * It is a bound, not a quota: between two polls a sandbox can write at most
 * interval × disk throughput beyond the limit.
 */
import { Label } from '../core/labels.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import type { Engine } from '../engine/types.js';

export const DEFAULT_DISK_LIMIT_BYTES = 20 * 1024 ** 3; // generous for toolchains and caches; far below a full disk
export const DISK_WATCH_INTERVAL_MS = 10_000; // SizeRw walks the layer: polling faster costs the engine more than it saves
export const DISK_LIMIT_ENV = 'PADDOCK_DISK_LIMIT';
export const MIN_DISK_LIMIT_BYTES = 64 * 1024 ** 2; // below this even the agent's first start would trip it

export interface LayerSize {
  id: string;
  name: string;
  /** null: the engine could not tell (container gone, driver without sizes). */
  sizeRw: number | null;
}

export interface Exceeded {
  id: string;
  name: string;
  sizeRw: number;
  limitBytes: number;
}

/**
 * `PADDOCK_DISK_LIMIT`: a size like `20g` or `512m`; `0` or `off` turns the watch off.
 * Unset → the default. Anything unreadable throws, so a typo never silently disables the bound.
 */
export function diskLimitFromEnv(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env[DISK_LIMIT_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_DISK_LIMIT_BYTES;
  if (raw === '0' || raw.toLowerCase() === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(raw);
  const bytes = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmgt'.indexOf((m[2] || 'b').toLowerCase())) : NaN;
  if (!Number.isFinite(bytes) || bytes < MIN_DISK_LIMIT_BYTES) {
    throw new PaddockError(ErrorCode.BadInput, `${DISK_LIMIT_ENV}="${raw}" is not a disk size of at least 64m. Use e.g. ${DISK_LIMIT_ENV}=20g, or 0 to turn the bound off.`);
  }
  return bytes;
}

/**
 * The decision, pure: which sandboxes are over the limit and not already acted on.
 * A sandbox acted on is forgotten once it is back under the limit (e.g. its files were deleted
 * and it was started again), so a second excess is caught too.
 */
export function decide(sizes: readonly LayerSize[], limitBytes: number, handled: Set<string>): Exceeded[] {
  const over: Exceeded[] = [];
  for (const s of sizes) {
    if (s.sizeRw === null) continue;
    if (s.sizeRw <= limitBytes) {
      handled.delete(s.id);
      continue;
    }
    if (handled.has(s.id)) continue;
    handled.add(s.id);
    over.push({ id: s.id, name: s.name, sizeRw: s.sizeRw, limitBytes });
  }
  return over;
}

export interface DiskWatchOptions {
  limitBytes: number;
  onExceeded: (e: Exceeded) => void | Promise<void>;
  intervalMs?: number;
  /** Which containers to watch; default: every running Paddock sandbox. */
  labels?: Record<string, string | true>;
  onError?: (err: unknown) => void;
}

export class DiskWatch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly handled = new Set<string>();

  constructor(
    private readonly engine: Pick<Engine, 'containers'>,
    private readonly opts: DiskWatchOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check().catch((err: unknown) => this.opts.onError?.(err)), this.opts.intervalMs ?? DISK_WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll: measure, decide, act. Overlapping polls are skipped (a slow engine must not pile them up). */
  async check(): Promise<Exceeded[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const labels = this.opts.labels ?? { [Label.Managed]: 'true', [Label.Kind]: 'sandbox' };
      const running = (await this.engine.containers.list(labels)).filter((c) => c.state === 'running');
      const sizes: LayerSize[] = [];
      for (const c of running) sizes.push({ id: c.id, name: c.labels[Label.Sandbox] ?? c.name, sizeRw: await this.engine.containers.sizeRw(c.id) });
      const over = decide(sizes, this.opts.limitBytes, this.handled);
      for (const e of over) await this.opts.onExceeded(e);
      return over;
    } finally {
      this.running = false;
    }
  }
}
