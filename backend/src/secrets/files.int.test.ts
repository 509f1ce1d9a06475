/**
 * File- and env-mode secrets in real sandboxes (Paddock's base image), created with the real
 * spec builder so the hardening (dropped capabilities, tmpfs options) is the one users get.
 * Everything carries io.paddock.test=<run> and is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandboxImage } from '../../test/base-image.js';
import { Label } from '../core/labels.js';
import type { CreateSandboxRequest, SandboxInfo } from '../core/protocol.js';
import { buildContainerCreate, homeVolumeName, type SandboxSpec } from '../core/spec.js';
import { DockerEngine } from '../engine/docker.js';
import type { CreateContext } from '../sandboxes/hooks.js';
import { SecretsService } from './service.js';

let IMAGE = '';
const RUN = `secrets-${randomBytes(4).toString('hex')}`;
const TEST_LABELS = { [Label.Test]: RUN };
const AGENT_UID = 4321; // not 1000, so "owned by the agent" cannot pass by accident
const AGENT_GID = 4322;
const OTHER_UID = 4999;
const FILE_VALUE = `npm_${randomBytes(12).toString('hex')}`;
const ROTATED_VALUE = `npm_rotated_${randomBytes(12).toString('hex')}`;
const ENV_VALUE = `envsecret_${randomBytes(12).toString('hex')}`;
const READY_TIMEOUT_MS = 30_000; // paddock-init creates the user and tmux in well under a second; allow slow CI

const engine = new DockerEngine();
let dir: string;
let workspace: string;
let svc: SecretsService;

function specFor(name: string): SandboxSpec {
  return {
    name, agent: 'shell', workspace, image: IMAGE, isolation: 'container', runtime: 'runc', network: 'none', networkName: null,
    allowHosts: [], mounts: [], cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 256, autonomy: true, uid: AGENT_UID, gid: AGENT_GID,
    agentArgs: [], agentArgv: ['sleep', 'infinity'], env: {}, homeVolume: homeVolumeName(name), createdAt: new Date().toISOString(),
    extraLabels: TEST_LABELS, dns: null, tmpfs: {}, volumes: [],
  };
}

function infoFor(spec: SandboxSpec, id: string): SandboxInfo {
  return {
    name: spec.name, id, agent: spec.agent, workspace: spec.workspace, state: 'running', agentState: 'unknown', agentExitCode: null,
    isolation: spec.isolation, network: spec.network, allowHosts: [], image: spec.image, createdAt: spec.createdAt, mounts: [],
    resources: { cpus: spec.cpus, memoryBytes: spec.memoryBytes, pids: spec.pids }, autonomy: true, uid: spec.uid, gid: spec.gid, agentArgs: [],
  };
}

async function sh(id: string, script: string, user = '0:0'): Promise<{ code: number; out: string; err: string }> {
  const r = await engine.containers.exec(id, { cmd: ['sh', '-c', script], user });
  return { code: r.exitCode, out: r.stdout.toString('utf8').trim(), err: r.stderr.toString('utf8').trim() };
}

async function waitReady(id: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await sh(id, `getent passwd ${AGENT_UID} >/dev/null`)).code === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('sandbox init did not create the agent user in time');
}

/** Create + start like the sandbox service does, calling the hooks around it. */
async function launch(name: string, secrets: unknown[]): Promise<{ spec: SandboxSpec; id: string }> {
  const spec = specFor(name);
  const ctx: CreateContext = {
    actor: 'cli',
    request: { agent: 'shell', workspace, secrets } as unknown as CreateSandboxRequest,
    plan: { subnet: '10.213.255.0/28', gateway: '10.213.255.1', proxy: '10.213.255.2', sandbox: '10.213.255.3' },
  };
  await svc.beforeCreate(spec, ctx);
  await engine.volumes.create(spec.homeVolume, TEST_LABELS);
  const id = await engine.containers.create(buildContainerCreate(spec));
  await engine.containers.start(id);
  await waitReady(id);
  await svc.afterStart(infoFor(spec, id), id);
  return { spec, id };
}

/** A one-file ustar archive, to show what putArchive does with a tmpfs. */
function tarOf(name: string, body: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad, Buffer.alloc(1024)]);
}

describe('file-mode and env-mode secrets in a real sandbox', () => {
  let first: { spec: SandboxSpec; id: string };
  let second: { spec: SandboxSpec; id: string };

  beforeAll(async () => {
    IMAGE = await testSandboxImage();
    dir = mkdtempSync(join(tmpdir(), 'paddock-secrets-int-'));
    workspace = mkdtempSync(join(tmpdir(), 'paddock-secrets-ws-'));
    svc = new SecretsService({ engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') }, extraLabels: TEST_LABELS });
    await svc.set('NPM_TOKEN', 'global', FILE_VALUE, 'cli');
    await svc.set('BUILD_PASSWORD', 'global', ENV_VALUE, 'cli');
    first = await launch(`${RUN}-a`, [{ name: 'NPM_TOKEN', mode: 'file' }, { name: 'BUILD_PASSWORD', mode: 'env' }]);
    second = await launch(`${RUN}-b`, []);
  });

  afterAll(async () => {
    for (const c of await engine.containers.list(TEST_LABELS)) await engine.containers.remove(c.id, { force: true });
    for (const v of await engine.volumes.list(TEST_LABELS)) await engine.volumes.remove(v.name);
    rmSync(dir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });

  it('writes /run/secrets/NAME on a tmpfs, mode 0400, owned by the agent user, in a 0700 directory', async () => {
    expect((await sh(first.id, 'stat -c "%a %u %g" /run/secrets/NPM_TOKEN')).out).toBe(`400 ${AGENT_UID} ${AGENT_GID}`);
    expect((await sh(first.id, 'stat -c "%a %u" /run/secrets')).out).toBe(`700 ${AGENT_UID}`);
    expect((await sh(first.id, 'stat -f -c %T /run/secrets')).out).toBe('tmpfs');
    expect((await sh(first.id, 'ls -A /run/secrets')).out).toBe('NPM_TOKEN'); // no temp files left
  });

  it('the agent user can read it; another user cannot', async () => {
    expect((await sh(first.id, 'cat /run/secrets/NPM_TOKEN', `${AGENT_UID}:${AGENT_GID}`)).out).toBe(FILE_VALUE);
    const other = await sh(first.id, 'cat /run/secrets/NPM_TOKEN', `${OTHER_UID}:${OTHER_UID}`);
    expect(other.code).not.toBe(0);
    expect(other.out).not.toContain(FILE_VALUE);
  });

  it('another sandbox cannot read it', async () => {
    const r = await sh(second.id, 'cat /run/secrets/NPM_TOKEN 2>&1; ls -A /run/secrets 2>&1');
    expect(r.out).not.toContain(FILE_VALUE);
    const search = await engine.containers.exec(second.id, { cmd: ['sh', '-c', 'grep -rqsF "$1" /run /tmp /home /etc && echo FOUND || echo none', 'x', FILE_VALUE], user: '0:0' });
    expect(search.stdout.toString().trim()).toBe('none');
  });

  it('file-mode values are not in the container config; env mode is (as documented)', async () => {
    const details = JSON.stringify(await engine.containers.inspect(first.id));
    expect(details).not.toContain(FILE_VALUE);
    expect(details).toContain(ENV_VALUE); // env mode is the explicit "visible to engine users" choice
    expect((await sh(first.id, 'printenv BUILD_PASSWORD', `${AGENT_UID}:${AGENT_GID}`)).out).toBe(ENV_VALUE);
    expect((await sh(first.id, 'printenv NPM_TOKEN || echo unset')).out).toBe('unset');
  });

  it('rotation rewrites the file in the running sandbox', async () => {
    const res = await svc.set('NPM_TOKEN', 'global', ROTATED_VALUE, 'cli');
    expect(res.rotated).toEqual([first.spec.name]);
    expect((await sh(first.id, 'cat /run/secrets/NPM_TOKEN', `${AGENT_UID}:${AGENT_GID}`)).out).toBe(ROTATED_VALUE);
    expect((await sh(first.id, 'stat -c "%a %u" /run/secrets/NPM_TOKEN')).out).toBe(`400 ${AGENT_UID}`);
  });

  it('is gone when the sandbox stops, and back after the next start', async () => {
    await engine.containers.stop(first.id, 2);
    await engine.containers.start(first.id);
    await waitReady(first.id);
    expect((await sh(first.id, 'ls -A /run/secrets')).out).toBe('');
    await svc.afterStart(infoFor(first.spec, first.id), first.id);
    expect((await sh(first.id, 'cat /run/secrets/NPM_TOKEN', `${AGENT_UID}:${AGENT_GID}`)).out).toBe(ROTATED_VALUE);
  });

  it('removing the secret deletes the file from the running sandbox', async () => {
    await svc.remove('NPM_TOKEN', 'global', 'cli');
    expect((await sh(first.id, 'ls -A /run/secrets')).out).toBe('');
  });

  it('why not putArchive: the engine extracts underneath the tmpfs (onto the container layer), invisible inside', async () => {
    await engine.containers.putArchive(first.id, '/run/secrets', tarOf('probe', Buffer.from('probe')));
    expect((await sh(first.id, 'ls -A /run/secrets')).out).toBe('');
  });
});
