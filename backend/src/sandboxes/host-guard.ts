/**
 * Installs (and keeps installed) the host firewall guard planned by core/host-firewall.ts: new
 * connections from Paddock's sandbox address pool to the host itself are refused, so a host
 * service listening on 0.0.0.0 is not reachable through a sandbox network's gateway.
 *
 * Idempotent: paddockd checks at start, before each create, after each start and once a minute,
 * and changes nothing when the guard is in place (a paddockd restart never duplicates rules).
 * The guard is deliberately left installed when paddockd stops: sandboxes keep running without
 * paddockd. Only the PADDOCK-INPUT chain and the one jump to it from INPUT are ever touched.
 *
 * Where iptables cannot be used (paddockd not root, no iptables, paddockd inside a container,
 * a remote engine) the status says so and `paddock doctor` prints the commands to run as root.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { HOST_GUARD_CHAIN, guardShellCommands, parseRules, planHostGuard } from '../core/host-firewall.js';

export const HOST_GUARD_ENV = 'PADDOCK_HOST_GUARD'; // "off" leaves the host firewall alone (you manage it)
export const HOST_GUARD_RECHECK_MS = 60_000;

export interface HostGuardStatus {
  state: 'installed' | 'unavailable' | 'off';
  detail: string;
  /** Shell commands that install the guard by hand (as root on the engine's host). */
  fix: string[] | null;
}

export type Runner = (args: string[]) => { code: number | null; stdout: string; stderr: string; error?: Error };

const iptables: Runner = (args) => {
  const r = spawnSync('iptables', ['-w', '5', ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
};

export interface HostGuardOptions {
  pools: readonly string[];
  run?: Runner;
  env?: NodeJS.ProcessEnv;
  /** The engine's bridges are in paddockd's network namespace (else its iptables are not the engine host's). */
  bridgesVisible?: boolean;
  uid?: number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/**
 * Does paddockd share the engine host's network namespace? The engine's bridges (docker0, br-*)
 * are visible there. Not so for paddockd inside a container (Docker Desktop's extension) or a
 * rootless engine (its bridges live in RootlessKit's namespace).
 */
export function engineBridgesVisible(): boolean {
  try {
    return readdirSync('/sys/class/net').some((n) => n === 'docker0' || n.startsWith('br-'));
  } catch {
    return false;
  }
}

export class HostGuard {
  private last: HostGuardStatus = { state: 'unavailable', detail: 'not checked yet', fix: null };
  private timer: NodeJS.Timeout | null = null;
  private readonly run: Runner;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly opts: HostGuardOptions) {
    this.run = opts.run ?? iptables;
    this.env = opts.env ?? process.env;
  }

  status(): HostGuardStatus {
    return this.last;
  }

  /** Why iptables here cannot guard the engine's host, or null when it can. */
  private precondition(): string | null {
    const host = this.env.DOCKER_HOST ?? '';
    if (host && !host.startsWith('unix://')) return `the engine is remote (DOCKER_HOST=${host}): this machine's firewall does not guard the engine's host`;
    if (!(this.opts.bridgesVisible ?? engineBridgesVisible())) return "the engine's bridges are not in paddockd's network namespace (paddockd in a container, or a rootless engine): iptables here do not guard the engine's host";
    const uid = this.opts.uid ?? process.getuid?.() ?? 0;
    if (uid !== 0) return `paddockd runs as uid ${uid}, and only root may change the host firewall`;
    return null;
  }

  /** Check the guard and install or repair it. Never throws. */
  ensure(): HostGuardStatus {
    const fix = guardShellCommands(this.opts.pools);
    if (/^(off|0|false|no)$/i.test(this.env[HOST_GUARD_ENV] ?? '')) {
      return this.set({ state: 'off', detail: `${HOST_GUARD_ENV}=off: Paddock leaves the host firewall to you`, fix });
    }
    const why = this.precondition();
    if (why) return this.set({ state: 'unavailable', detail: why, fix });
    const input = this.run(['-S', 'INPUT']);
    if (input.error || input.code !== 0) {
      const msg = input.error ? (input.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'iptables is not installed' : input.error.message : input.stderr.trim() || `iptables exited ${input.code}`;
      return this.set({ state: 'unavailable', detail: `cannot read the host firewall: ${msg}`, fix });
    }
    const chain = this.run(['-S', HOST_GUARD_CHAIN]);
    const plan = planHostGuard({ input: parseRules(input.stdout), chain: chain.code === 0 ? parseRules(chain.stdout) : null }, this.opts.pools);
    for (const cmd of plan.commands) {
      const r = this.run(cmd);
      // "-N" of a chain another paddockd just made is fine; anything else is a failure to report.
      if (r.code !== 0 && !(cmd[0] === '-N' && /exists/i.test(r.stderr))) {
        return this.set({ state: 'unavailable', detail: `iptables ${cmd.join(' ')} failed: ${r.stderr.trim() || r.error?.message || `exit ${r.code}`}`, fix });
      }
    }
    if (plan.commands.length) this.opts.log?.info({ chain: HOST_GUARD_CHAIN, change: plan.summary }, 'host firewall guard installed');
    return this.set({ state: 'installed', detail: `new connections from ${this.opts.pools.join(', ')} to this host are refused (iptables chain ${HOST_GUARD_CHAIN}, first in INPUT)`, fix: null });
  }

  /** Re-check now and then: a firewall reload (ufw, firewalld, iptables-restore) may drop the guard. */
  start(intervalMs = HOST_GUARD_RECHECK_MS): void {
    this.ensure();
    this.timer = setInterval(() => this.ensure(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private set(s: HostGuardStatus): HostGuardStatus {
    if (s.state !== this.last.state || s.detail !== this.last.detail) {
      if (s.state === 'unavailable') this.opts.log?.warn({ detail: s.detail }, 'host firewall guard not installed: host services on 0.0.0.0 are reachable from sandboxes');
    }
    this.last = s;
    return s;
  }
}
