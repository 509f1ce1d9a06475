/** Every built-in coding agent starts inside a sandbox and answers --version. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, makeWorkspace, plain } from './harness.js';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const VERSIONS: [string, RegExp][] = [
  ['claude', /\b2\.1\.332 \(Claude Code\)/],
  ['gemini', /\b0\.61\.0\b/],
  ['codex', /codex-cli 0\.171\.0/],
  ['opencode', /\b1\.18\.33\b/],
];

describe('agents in sandboxes', () => {
  it.each(VERSIONS)('paddock run %s <dir> -- --version prints its version from inside', async (agent, re) => {
    const ws = makeWorkspace();
    const r = await h.cli(['run', agent, ws, '--name', `${agent}-${h.run}`, '--', '--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(plain(r.stdout)).toMatch(re);
    // it really ran in the sandbox, with the autonomy flag the catalog promises
    const argv = await h.cli(['exec', `${agent}-${h.run}`, '--', 'sh', '-c', "tr '\\0' ' ' < /run/paddock/agent.argv"]);
    expect(argv.stdout.trim().startsWith(agent)).toBe(true);
    await h.cli(['rm', '-f', `${agent}-${h.run}`]);
  }, 1_500_000); // the first run builds the agent's image (npm install of its CLI)

  it('starts Claude Code in its autonomous mode, and without it when asked', async () => {
    const ws = makeWorkspace();
    await h.cli(['run', 'claude', ws, '-d', '--name', `auto-${h.run}`, '--', '--version']);
    const on = await h.cli(['exec', `auto-${h.run}`, '--', 'sh', '-c', "tr '\\0' ' ' < /run/paddock/agent.argv"]);
    expect(on.stdout).toContain('--dangerously-skip-permissions');
    await h.cli(['run', 'claude', makeWorkspace(), '-d', '--no-autonomy', '--name', `noauto-${h.run}`, '--', '--version']);
    const off = await h.cli(['exec', `noauto-${h.run}`, '--', 'sh', '-c', "tr '\\0' ' ' < /run/paddock/agent.argv"]);
    expect(off.stdout).not.toContain('--dangerously-skip-permissions');
    await h.cli(['rm', '-f', `auto-${h.run}`, `noauto-${h.run}`]);
  });
});
