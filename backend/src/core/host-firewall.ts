/**
 * The host firewall guard: nothing on the host is reachable from a sandbox. Pure (plans iptables
 * commands from what `iptables -S` printed); the side effects live in sandboxes/host-guard.ts.
 *
 * Why: the host owns the gateway address of every sandbox network (the bridge), so a host service
 * listening on 0.0.0.0 answers a sandbox on that address and on every other host address. The
 * engine's isolation rules only cover forwarded traffic; traffic *to the host itself* goes through
 * the INPUT chain, which accepts it. The guard is one chain of Paddock's own, jumped to first
 * from INPUT:
 *
 *   -A PADDOCK-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
 *   -A PADDOCK-INPUT -s 10.213.0.0/16 -j REJECT --reject-with icmp-admin-prohibited
 *
 * Replies to connections the host opened keep working; new connections from Paddock's address
 * pool are refused at once (no hang). Sandbox ↔ egress proxy traffic is bridged on one L2 segment
 * and never enters INPUT; Docker's embedded DNS answers inside the container's own namespace.
 * Nothing else in iptables is touched: only this chain and the one jump to it.
 */

export const HOST_GUARD_CHAIN = 'PADDOCK-INPUT';
export const HOST_GUARD_COMMENT = 'paddock: sandboxes never reach the host';

/** The chain's rules, as `iptables -S` prints them (the planner compares against these). */
export function guardRules(pools: readonly string[]): string[] {
  return [
    `-A ${HOST_GUARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    ...pools.map((p) => `-A ${HOST_GUARD_CHAIN} -s ${p} -m comment --comment "${HOST_GUARD_COMMENT}" -j REJECT --reject-with icmp-admin-prohibited`),
  ];
}

export const JUMP_RULE = `-A INPUT -j ${HOST_GUARD_CHAIN}`;

/** What `iptables -S` printed, or null where the chain does not exist. */
export interface FirewallState {
  input: string[];
  chain: string[] | null;
}

export interface GuardPlan {
  /** iptables argument lists to run, in order (empty: already in place). */
  commands: string[][];
  /** Human summary of what changes. */
  summary: string;
}

/** Split one `iptables -S` rule line into arguments (double quotes group, as iptables prints comments). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

const lines = (s: string | string[]): string[] => (Array.isArray(s) ? s : s.split('\n')).map((l) => l.trim()).filter(Boolean);

/** Parse `iptables -S <chain>` output: the rules only (no -P/-N header lines). */
export function parseRules(output: string): string[] {
  return lines(output).filter((l) => l.startsWith('-A '));
}

/**
 * Commands that bring the firewall from `state` to the guard for `pools`. Idempotent: an installed
 * guard plans nothing; a duplicate jump (two paddockds racing, an older install) is removed; a jump
 * that is not the first rule of INPUT is moved first, so no earlier ACCEPT lets sandboxes through.
 */
export function planHostGuard(state: FirewallState, pools: readonly string[]): GuardPlan {
  const want = guardRules(pools);
  const commands: string[][] = [];
  const notes: string[] = [];
  if (state.chain === null) {
    commands.push(['-N', HOST_GUARD_CHAIN]);
    notes.push(`created chain ${HOST_GUARD_CHAIN}`);
  }
  const have = state.chain ?? [];
  if (have.length !== want.length || have.some((r, i) => r !== want[i])) {
    if (have.length) commands.push(['-F', HOST_GUARD_CHAIN]);
    for (const r of want) commands.push(splitRule(r)); // "-A CHAIN ..." as arguments
    notes.push(have.length ? `rewrote ${HOST_GUARD_CHAIN} (it had ${have.length} rule(s) that differ)` : `filled ${HOST_GUARD_CHAIN}`);
  }
  const input = parseRules(state.input.join('\n'));
  const jumps = input.filter((r) => r === JUMP_RULE).length;
  if (!(jumps === 1 && input[0] === JUMP_RULE)) {
    // Remove every jump (each -D takes the first match), then put exactly one first.
    for (let i = 0; i < jumps; i++) commands.push(['-D', 'INPUT', '-j', HOST_GUARD_CHAIN]);
    commands.push(['-I', 'INPUT', '1', '-j', HOST_GUARD_CHAIN]);
    notes.push(jumps ? `moved the jump to ${HOST_GUARD_CHAIN} first in INPUT (found ${jumps}, not first or duplicated)` : `jump to ${HOST_GUARD_CHAIN} first in INPUT`);
  }
  return { commands, summary: notes.length ? notes.join('; ') : 'already in place' };
}

/** The same guard as shell commands, for `paddock doctor` to print where paddockd cannot install it. */
export function guardShellCommands(pools: readonly string[]): string[] {
  const q = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [
    `iptables -N ${HOST_GUARD_CHAIN} 2>/dev/null; iptables -F ${HOST_GUARD_CHAIN}`,
    ...guardRules(pools).map((r) => `iptables ${splitRule(r).map(q).join(' ')}`),
    `iptables -C INPUT -j ${HOST_GUARD_CHAIN} 2>/dev/null || iptables -I INPUT 1 -j ${HOST_GUARD_CHAIN}`,
  ];
}
