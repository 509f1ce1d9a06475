/**
 * Shared agent logins on the real engine: two sandboxes of one agent mount `paddock-creds-<agent>`
 * where the agent keeps its login; what one writes (a login) the other reads, and the directory
 * is the agent user's even though the engine creates it root-owned. The volume mount is SandboxSpec.volumes,
 * as the secrets module sets it.
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

let IMAGE = ''; // Paddock's base image (testSandboxImage)
import type { VolumeMount } from './shared-login.js';

const RUN = `sl${randomBytes(3).toString('hex')}`;
const TEST_LABELS = { [Label.Test]: RUN };
const AGENT = 'opencode'; // its login lives two directories below HOME: the parents need handing over too
const AGENT_UID = 4321;
const READY_TIMEOUT_MS = 30_000; // paddock-init is up in well under a second

const engine = new DockerEngine();
let dir: string;
let workspace: string;
let svc: SecretsService;

async function sh(id: string, script: string, user = `${AGENT_UID}:${AGENT_UID}`): Promise<{ code: number; out: string }> {
  const r = await engine.containers.exec(id, { cmd: ['sh', '-c', script], user });
  return { code: r.exitCode, out: r.stdout.toString('utf8').trim() + r.stderr.toString('utf8').trim() };
}

async function launch(short: string): Promise<string> {
  const name = `${RUN}-${short}`;
  const spec: SandboxSpec & { volumes: VolumeMount[] } = {
    name, agent: AGENT, workspace, image: IMAGE, isolation: 'container', runtime: 'runc', network: 'none', networkName: null,
    allowHosts: [], mounts: [], cpus: 1, memoryBytes: 512 * 1024 ** 2, pids: 256, autonomy: true, uid: AGENT_UID, gid: AGENT_UID,
    agentArgs: [], agentArgv: ['sleep', 'infinity'], env: {}, homeVolume: homeVolumeName(name), createdAt: new Date().toISOString(),
    extraLabels: TEST_LABELS, dns: null, tmpfs: {}, volumes: [],
  };
  const ctx: CreateContext = { actor: 'cli', request: { agent: AGENT, workspace } as CreateSandboxRequest, plan: { subnet: '10.213.255.0/28', gateway: '10.213.255.1', proxy: '10.213.255.2', sandbox: '10.213.255.3' } };
  await svc.beforeCreate(spec, ctx);
  expect(spec.volumes).toEqual([{ name: `paddock-creds-${AGENT}`, target: '/home/agent/.local/share/opencode' }]);
  await engine.volumes.create(spec.homeVolume, TEST_LABELS);
  const body = buildContainerCreate(spec); // mounts spec.volumes itself
  const id = await engine.containers.create(body);
  await engine.containers.start(id);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await sh(id, `getent passwd ${AGENT_UID} >/dev/null`, '0:0')).code !== 0) {
    if (Date.now() > deadline) throw new Error('sandbox init did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  await svc.afterStart({ name, agent: AGENT, uid: AGENT_UID, gid: AGENT_UID } as SandboxInfo, id);
  return id;
}

describe('shared agent login volume', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    IMAGE = await testSandboxImage();
    dir = mkdtempSync(join(tmpdir(), 'paddock-shared-login-'));
    workspace = mkdtempSync(join(tmpdir(), 'paddock-shared-login-ws-'));
    svc = new SecretsService({ engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') }, extraLabels: TEST_LABELS });
    svc.setSharedLogin(AGENT, true, 'cli');
    first = await launch('one');
    second = await launch('two');
  });

  afterAll(async () => {
    for (const c of await engine.containers.list(TEST_LABELS)) await engine.containers.remove(c.id, { force: true });
    for (const v of await engine.volumes.list(TEST_LABELS)) await engine.volumes.remove(v.name);
    rmSync(dir, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  });

  it('hands the login directory and its parents to the agent user', async () => {
    expect((await sh(first, 'stat -c %u /home/agent/.local /home/agent/.local/share /home/agent/.local/share/opencode')).out.split('\n')).toEqual([
      String(AGENT_UID), String(AGENT_UID), String(AGENT_UID),
    ]);
  });

  it('a login made in one sandbox serves the other', async () => {
    expect((await sh(first, 'echo token-from-login > /home/agent/.local/share/opencode/auth.json')).code).toBe(0);
    expect((await sh(second, 'cat /home/agent/.local/share/opencode/auth.json')).out).toBe('token-from-login');
  });

  it('the volume carries Paddock labels and no sandbox label (removing one sandbox keeps it)', async () => {
    const v = (await engine.volumes.list(TEST_LABELS)).find((x) => x.name === `paddock-creds-${AGENT}`);
    expect(v?.labels).toMatchObject({ [Label.Managed]: 'true', [Label.Kind]: 'creds', [Label.Agent]: AGENT });
    expect(v?.labels[Label.Sandbox]).toBeUndefined();
  });

  it('starts empty: nothing is copied from the host', async () => {
    expect((await sh(second, 'ls -A /home/agent/.local/share/opencode')).out).toBe('auth.json');
  });
});
