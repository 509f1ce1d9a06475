import { describe, expect, it } from 'vitest';
import { HOST_GUARD_CHAIN, JUMP_RULE, guardRules, guardShellCommands, parseRules, planHostGuard, splitRule } from './host-firewall.js';

const POOL = '10.213.0.0/16';
const installed = guardRules([POOL]);
const dockerInput = ['-A INPUT -i lo -j ACCEPT'];

describe('host firewall guard', () => {
  it('returns replies and refuses new connections from the pool, in that order', () => {
    expect(installed).toEqual([
      `-A ${HOST_GUARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
      `-A ${HOST_GUARD_CHAIN} -s 10.213.0.0/16 -m comment --comment "paddock: sandboxes never reach the host" -j REJECT --reject-with icmp-admin-prohibited`,
    ]);
  });

  it('splits iptables -S lines, keeping quoted comments whole', () => {
    expect(splitRule(installed[1]!)).toEqual(['-A', HOST_GUARD_CHAIN, '-s', POOL, '-m', 'comment', '--comment', 'paddock: sandboxes never reach the host', '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
    expect(parseRules(`-P INPUT ACCEPT\n-N ${HOST_GUARD_CHAIN}\n${JUMP_RULE}\n`)).toEqual([JUMP_RULE]);
  });

  it.each([
    ['a fresh host: create the chain, fill it, jump to it first', { input: dockerInput, chain: null },
      [['-N', HOST_GUARD_CHAIN], ...installed.map(splitRule), ['-I', 'INPUT', '1', '-j', HOST_GUARD_CHAIN]]],
    ['already installed (a paddockd restart): nothing', { input: [JUMP_RULE, ...dockerInput], chain: installed }, []],
    ['the chain exists but is empty: fill it', { input: [JUMP_RULE], chain: [] }, installed.map(splitRule)],
    ['the chain was edited: flush and rewrite it', { input: [JUMP_RULE], chain: [installed[1]!] }, [['-F', HOST_GUARD_CHAIN], ...installed.map(splitRule)]],
    ['two jumps (paddockds raced): keep exactly one, first', { input: [JUMP_RULE, ...dockerInput, JUMP_RULE], chain: installed },
      [['-D', 'INPUT', '-j', HOST_GUARD_CHAIN], ['-D', 'INPUT', '-j', HOST_GUARD_CHAIN], ['-I', 'INPUT', '1', '-j', HOST_GUARD_CHAIN]]],
    ['a jump behind an ACCEPT: move it first', { input: [...dockerInput, JUMP_RULE], chain: installed },
      [['-D', 'INPUT', '-j', HOST_GUARD_CHAIN], ['-I', 'INPUT', '1', '-j', HOST_GUARD_CHAIN]]],
  ] as [string, { input: string[]; chain: string[] | null }, string[][]][])('%s', (_t, state, want) => {
    const plan = planHostGuard(state, [POOL]);
    expect(plan.commands).toEqual(want);
    if (!want.length) expect(plan.summary).toBe('already in place');
  });

  it('never touches a rule that is not its own', () => {
    const plan = planHostGuard({ input: ['-A INPUT -j DROP', '-A INPUT -s 10.0.0.0/8 -j ACCEPT'], chain: ['-A OTHER -j ACCEPT'] }, [POOL]);
    for (const c of plan.commands) {
      const chain = c[0] === '-N' || c[0] === '-F' ? c[1] : c[0] === '-A' ? c[1] : c[1];
      expect([HOST_GUARD_CHAIN, 'INPUT']).toContain(chain);
      if (chain === 'INPUT') expect(c.slice(-2)).toEqual(['-j', HOST_GUARD_CHAIN]);
    }
  });

  it('prints the same guard as shell commands for doctor', () => {
    const sh = guardShellCommands([POOL]);
    expect(sh.join('\n')).toContain(`iptables -A ${HOST_GUARD_CHAIN} -s 10.213.0.0/16 -m comment --comment 'paddock: sandboxes never reach the host' -j REJECT`);
    expect(sh.at(-1)).toBe(`iptables -C INPUT -j ${HOST_GUARD_CHAIN} 2>/dev/null || iptables -I INPUT 1 -j ${HOST_GUARD_CHAIN}`);
  });
});
