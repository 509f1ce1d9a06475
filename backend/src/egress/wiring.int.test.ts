/**
 * The egress hooks inside the real SandboxService: env and DNS reach the container, the proxy is
 * attached at the plan's .2, a live mode change through `update` and removal release everything.
 * The agent image is stubbed with the local dev base image so no agent build runs.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandboxImage } from '../../test/base-image.js';
import type { AppContext } from '../api/context.js';
import { planFor } from '../core/subnets.js';
import { EventBus } from '../daemon/events.js';
import { resolvePaths } from '../daemon/paths.js';
import { DockerEngine } from '../engine/docker.js';
import type { ImageBuilder } from '../images/builder.js';
import { SandboxService } from '../sandboxes/service.js';
import { EgressService } from './service.js';

const RUN = `ew${Date.now().toString(36)}`;
const TEST_LABELS = { 'io.paddock.test': RUN };
let SANDBOX_IMAGE = ''; // images/base with paddock-init
const engine = new DockerEngine();
const stateDir = mkdtempSync(join(tmpdir(), 'paddock-egress-wiring-'));
const workspace = mkdtempSync(join(tmpdir(), 'paddock-egress-ws-'));
const proxyName = `paddock-egress-${RUN}`;
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, child: () => quiet } as unknown as AppContext['log'];
let egress: EgressService;
let sandboxes: SandboxService;
const name = `${RUN}-sb`;

beforeAll(async () => {
  SANDBOX_IMAGE = await testSandboxImage();
  const paths = resolvePaths({ PADDOCK_STATE_DIR: stateDir, PADDOCK_CONFIG_DIR: join(stateDir, 'config') });
  mkdirSync(paths.settingsDir, { recursive: true });
  const ctx: AppContext = { engine, events: new EventBus(), paths, log: quiet, extraLabels: TEST_LABELS, services: {} };
  egress = new EgressService({
    engine, log: quiet, stateDir, settingsDir: paths.settingsDir, extraLabels: TEST_LABELS,
    baseImage: process.env.PADDOCK_BASE_IMAGE ?? 'paddock/bootstrap:trixie', containerName: proxyName, outboundNetwork: `paddock-egress-out-${RUN}`,
  });
  await egress.start();
  const builder = { ensureAgent: async () => SANDBOX_IMAGE } as unknown as ImageBuilder;
  sandboxes = new SandboxService(ctx, builder, { homeDir: null, remotePaths: false, gitIdentity: () => ({ name: null, email: null }) });
  ctx.services.sandboxes = sandboxes;
  ctx.services.egress = egress;
  sandboxes.addHooks(egress);
}, 900_000);

afterAll(async () => {
  await egress?.dispose();
  for (const c of await engine.containers.list({ 'io.paddock.test': RUN })) await engine.containers.remove(c.id, { force: true }).catch(() => {});
  await engine.containers.remove(proxyName, { force: true }).catch(() => {});
  for (const n of await engine.networks.list({ 'io.paddock.test': RUN })) await engine.networks.remove(n.id).catch(() => {});
  for (const v of await engine.volumes.list({ 'io.paddock.test': RUN })) await engine.volumes.remove(v.name).catch(() => {});
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
});

describe('egress hooks in the sandbox service', () => {
  it('creates a sandbox whose only way out is the proxy', async () => {
    const { sandbox } = await sandboxes.create({ agent: 'shell', workspace, name, allowHosts: ['a.test', '@npm'] }, 'api');
    const details = (await engine.containers.inspect(sandbox.id))!;
    const net = `paddock-net-${name}`;
    const proxyIp = (await engine.containers.inspect(proxyName))!.networks[net]!.ipAddress;
    expect(proxyIp).toBe(planFor((await engine.networks.inspect(net))!.subnets[0]!).proxy);
    expect(details.env).toContain(`HTTPS_PROXY=http://${proxyIp}:3128`);
    const view = await egress.view(name);
    expect(view.mode).toBe('allowlist');
    expect(view.rules.map((r) => `${r.rule}:${r.source}`)).toEqual(['a.test:user', 'registry.npmjs.org:group:npm']);
    const r = await engine.containers.exec(sandbox.id, { cmd: ['sh', '-c', 'curl -s -m 5 -o /dev/null -w "%{http_code}" http://denied.test/'] });
    expect(r.stdout.toString()).toBe('403');
  });

  it('a live mode change through update reaches the proxy and the container', async () => {
    await sandboxes.update(name, { network: 'none' }, 'api');
    expect((await egress.view(name)).mode).toBe('none');
    const s = await sandboxes.get(name);
    const links = await engine.containers.exec(s.id, { cmd: ['sh', '-c', "ip -o link | awk -F': ' '{print $2}'"] });
    expect(links.stdout.toString().trim()).toBe('lo');
    await sandboxes.update(name, { network: 'allowlist' }, 'api');
    const r = await engine.containers.exec(s.id, { cmd: ['sh', '-c', 'curl -s -m 5 -o /dev/null -w "%{http_code}" http://denied.test/'] });
    expect(r.stdout.toString()).toBe('403');
  });

  it('removal releases the proxy attachment and the settings', async () => {
    await sandboxes.remove(name, { force: true }, 'api');
    expect(egress.has(name)).toBe(false);
    expect(await engine.networks.inspect(`paddock-net-${name}`)).toBeNull();
    expect(Object.keys((await engine.containers.inspect(proxyName))!.networks)).not.toContain(`paddock-net-${name}`);
  });
});
