import { describe, expect, it } from 'vitest';
import { HOST_GUARD_CHAIN, JUMP_RULE, guardRules } from '../core/host-firewall.js';
import { HostGuard, type Runner } from './host-guard.js';

const POOL = '10.213.0.0/16';

/** A fake iptables holding INPUT and PADDOCK-INPUT in memory. */
function fakeIptables(input: string[] = [], chain: string[] | null = null): { run: Runner; calls: string[][]; input: string[]; chain: () => string[] | null } {
  const calls: string[][] = [];
  let ch = chain;
  const run: Runner = (args) => {
    calls.push(args);
    const [op, name, ...rest] = args;
    if (op === '-S') {
      if (name === 'INPUT') return { code: 0, stdout: ['-P INPUT ACCEPT', ...input].join('\n'), stderr: '' };
      return ch ? { code: 0, stdout: [`-N ${name}`, ...ch].join('\n'), stderr: '' } : { code: 1, stdout: '', stderr: 'iptables: No chain/target/match by that name.' };
    }
    if (op === '-N') ch = [];
    if (op === '-F') ch = [];
    if (op === '-A') ch!.push(`-A ${name} ${rest.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
    if (op === '-I') input.unshift(JUMP_RULE);
    if (op === '-D') input.splice(input.indexOf(JUMP_RULE), 1);
    return { code: 0, stdout: '', stderr: '' };
  };
  return { run, calls, input, chain: () => ch };
}

const local = { uid: 0, bridgesVisible: true, env: {} };

describe('HostGuard', () => {
  it('installs the guard, and a second paddockd (or a restart) changes nothing', () => {
    const fw = fakeIptables(['-A INPUT -i lo -j ACCEPT']);
    expect(new HostGuard({ pools: [POOL], run: fw.run, ...local }).ensure().state).toBe('installed');
    expect(fw.chain()).toEqual(guardRules([POOL]));
    expect(fw.input).toEqual([JUMP_RULE, '-A INPUT -i lo -j ACCEPT']);
    const before = fw.calls.length;
    expect(new HostGuard({ pools: [POOL], run: fw.run, ...local }).ensure().state).toBe('installed');
    expect(fw.calls.slice(before).every((c) => c[0] === '-S')).toBe(true);
    expect(fw.input.filter((r) => r === JUMP_RULE)).toHaveLength(1);
  });

  it.each([
    ['not root', { ...local, uid: 1000 }, /uid 1000/],
    ['paddockd outside the engine host\'s network namespace', { ...local, bridgesVisible: false }, /not in paddockd's network namespace/],
    ['a remote engine', { ...local, env: { DOCKER_HOST: 'ssh://build-box' } }, /remote/],
  ])('reports why it cannot install, with the commands to run by hand: %s', (_t, o, why) => {
    const fw = fakeIptables();
    const s = new HostGuard({ pools: [POOL], run: fw.run, ...o }).ensure();
    expect(s.state).toBe('unavailable');
    expect(s.detail).toMatch(why);
    expect(s.fix?.join('\n')).toContain(`iptables -I INPUT 1 -j ${HOST_GUARD_CHAIN}`);
    expect(fw.calls).toEqual([]);
  });

  it('reports a missing iptables', () => {
    const run: Runner = () => ({ code: null, stdout: '', stderr: '', error: Object.assign(new Error('spawn iptables ENOENT'), { code: 'ENOENT' }) });
    expect(new HostGuard({ pools: [POOL], run, ...local }).ensure().detail).toMatch(/iptables is not installed/);
  });

  it('can be turned off (PADDOCK_HOST_GUARD=off) and then touches nothing', () => {
    const fw = fakeIptables();
    expect(new HostGuard({ pools: [POOL], run: fw.run, ...local, env: { PADDOCK_HOST_GUARD: 'off' } }).ensure().state).toBe('off');
    expect(fw.calls).toEqual([]);
  });
});
