/**
 * PADDOCK_REMOTE_PATHS=1: paddockd as in the Docker Desktop extension, where workspace paths are
 * the engine host's. paddockd must not stat them; the engine checks them and a probe container
 * reads the owner. Here paddockd and the engine share a filesystem, so "remote" is simulated by
 * the mode alone — the checks below still fail if paddockd falls back to its own stat.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, makeWorkspace } from './harness.js';

const h = new Harness();
h.extraEnv = { PADDOCK_REMOTE_PATHS: '1' };
beforeAll(() => h.start());
afterAll(() => h.stop());

const ours = (kind: 'ps' | 'network' | 'volume') =>
  spawnSync('docker', [...(kind === 'ps' ? ['ps', '-aq'] : [kind, 'ls', '-q']), '--filter', `label=io.paddock.test=${h.run}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).length;

describe('remote workspace paths', () => {
  it('runs the agent as the owner the engine reports, and leaves no probe behind', async () => {
    const ws = makeWorkspace({ uid: 1234, gid: 4321 });
    const name = `remote-${h.run}`;
    const r = await h.cli(['run', 'shell', ws, '-d', '--name', name, '--network', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const id = await h.cli(['exec', name, '--', 'sh', '-c', `id -u; id -g; touch ${ws}/made && stat -c %u:%g ${ws}/made`]);
    expect(id.stdout.trim().split('\n')).toEqual(['1234', '4321', '1234:4321']);
    const probes = spawnSync('docker', ['ps', '-aq', '--filter', `label=io.paddock.test=${h.run}`, '--filter', 'label=io.paddock.kind=probe'], { encoding: 'utf8' }).stdout.trim();
    expect(probes).toBe('');
    await h.cli(['rm', '-f', name]);
  }, 600_000);

  it('a path the engine cannot see: one clear line, nothing left', async () => {
    const ws = makeWorkspace();
    rmSync(ws, { recursive: true });
    const before = [ours('ps'), ours('network'), ours('volume')];
    const r = await h.cli(['run', 'shell', ws, '-d', '--network', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`cannot see ${ws}: it does not exist on the engine's host.*File sharing`));
    expect([ours('ps'), ours('network'), ours('volume')]).toEqual(before);
  }, 600_000);

  it('adds a workspace without statting it (the engine checks it at launch)', async () => {
    const path = `/nonexistent-on-paddockd-${h.run}`;
    const w = await h.client.request('POST', '/workspaces', { path });
    expect(w).toMatchObject({ path });
  });
});
