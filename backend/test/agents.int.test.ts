/** Every built-in coding agent starts inside a sandbox and answers --version. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('hands the agent a HOME it owns, even where the image left files there as root', async () => {
    const dir = join(h.configDir, 'homey');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN mkdir -p /home/agent/.tool && echo built > /home/agent/.tool/state\n');
    writeFileSync(join(h.configDir, 'agents.yaml'), `agents:\n  - name: homey\n    dockerfile: ${join(dir, 'Dockerfile')}\n    command: [bash, -l]\n`);
    const name = `homey-${h.run}`;
    expect((await h.cli(['run', 'homey', makeWorkspace(), '-d', '--name', name])).code).toBe(0);
    const r = await h.cli(['exec', name, '--', 'sh', '-c', 'echo mine >> ~/.tool/state && cat ~/.tool/state && find ~ ! -user "$(id -u)"']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['built', 'mine']);
    // a second start keeps what the agent made root-owned on purpose
    await h.cli(['exec', name, '--root', '--', 'sh', '-c', 'touch /home/agent/rooted']);
    await h.cli(['stop', name]);
    await h.cli(['start', name]);
    const after = await h.cli(['exec', name, '--', 'stat', '-c', '%u', '/home/agent/rooted']);
    expect(after.stdout.trim()).toBe('0');
    await h.cli(['rm', '-f', name]);
  }, 600_000);
});
