/** Policy and audit through the real paddockd, CLI and engine. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, makeWorkspace } from './harness.js';

const h = new Harness();
const orgFile = join(h.configDir, 'org-policy.yaml');

beforeAll(async () => {
  writeFileSync(orgFile, 'version: 1\nagents:\n  allow: [shell]\nisolation:\n  allow: [container, gvisor]\nresources:\n  max: { cpus: 2, memory: 2g, pids: 512 }\n');
  process.env.PADDOCK_ORG_POLICY = orgFile;
  await h.start();
});
afterAll(async () => {
  delete process.env.PADDOCK_ORG_POLICY;
  await h.stop();
});

describe('policy', () => {
  it('refuses a forbidden agent, naming the rule and its file', async () => {
    const r = await h.cli(['run', 'claude', makeWorkspace(), '-d']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/agents\.allow/);
    expect(r.stderr).toContain(orgFile);
    // refused before anything was built or made: the refusal is all it printed, no build progress
    expect(r.stderr).toMatch(/^paddock: Policy refuses sandbox/);
  });

  it('refuses resources over the ceiling, and a live change over it', async () => {
    const over = await h.cli(['run', 'shell', makeWorkspace(), '-d', '--cpus', '4']);
    expect(over.code).toBe(5);
    expect(over.stderr).toMatch(/resources/);
    const ok = await h.cli(['run', 'shell', makeWorkspace(), '-d', '--name', `pol-${h.run}`, '--memory', '1g']);
    expect(ok.code, ok.stderr).toBe(0);
    await expect(h.client.request('PATCH', `/sandboxes/pol-${h.run}`, { memory: '4g' })).rejects.toThrow(/resources/);
  });

  it('shows the effective policy with the source of each value', async () => {
    const r = await h.cli(['policy', 'show']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(orgFile);
  });
});

describe('policy on start', () => {
  it('refuses to start a stopped sandbox that the changed policy forbids, before it runs', async () => {
    const name = `pol-${h.run}`;
    const original = 'version: 1\nagents:\n  allow: [shell]\nisolation:\n  allow: [container, gvisor]\nresources:\n  max: { cpus: 2, memory: 2g, pids: 512 }\n';
    expect((await h.cli(['stop', name])).code).toBe(0);
    writeFileSync(orgFile, original.replace('allow: [container, gvisor]', 'allow: [gvisor]'));
    try {
      let r = await h.cli(['start', name]);
      for (let i = 0; i < 40 && r.code === 0; i++) { // the file watch reloads within a moment
        await h.cli(['stop', name]);
        await new Promise((ok) => setTimeout(ok, 250));
        r = await h.cli(['start', name]);
      }
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/Policy refuses to start sandbox .*isolation\.allow/s);
      const ls = JSON.parse((await h.cli(['ls', '--json'])).stdout) as { name: string; state: string }[];
      expect(ls.find((x) => x.name === name)?.state).not.toBe('running');
    } finally {
      writeFileSync(orgFile, original);
    }
    let back = await h.cli(['start', name]);
    for (let i = 0; i < 40 && back.code !== 0; i++) {
      await new Promise((ok) => setTimeout(ok, 250));
      back = await h.cli(['start', name]);
    }
    expect(back.code, back.stderr).toBe(0);
  });
});

describe('audit', () => {
  it('recorded lifecycle, exec and refusals, and the chain verifies', async () => {
    await h.cli(['exec', `pol-${h.run}`, '--', 'true']);
    const log = await h.cli(['audit', '--json']);
    const actions = log.stdout.trim().split('\n').map((l) => JSON.parse(l).action as string);
    expect(actions).toEqual(expect.arrayContaining(['paddockd.start', 'sandbox.create', 'sandbox.exec']));
    expect(actions.some((a) => a.startsWith('policy.'))).toBe(true);
    const v = await h.cli(['audit', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
