/** The two feature registrations together, as paddockd wires them: refusals land in the audit log. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext, RouteModule } from '../api/context.js';
import { registerAuditFeature } from '../audit/feature.js';
import { auditDirOf, verifyAuditDir } from '../audit/log.js';
import { queryAudit } from '../audit/query.js';
import { registerAuditRoutes } from '../audit/routes.js';
import type { SandboxInfo } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import { EventBus } from '../daemon/events.js';
import { resolvePaths } from '../daemon/paths.js';
import type { CreateContext, SandboxHooks } from '../sandboxes/hooks.js';
import { registerPolicyFeature } from './feature.js';
import { registerPolicyRoutes } from './routes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-feature-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('policy + audit features', () => {
  it('register hooks, routes and services; refusals and daemon start/stop are audited', async () => {
    const paths = resolvePaths({ PADDOCK_STATE_DIR: join(dir, 'state'), PADDOCK_CONFIG_DIR: join(dir, 'config') });
    await mkdir(paths.configDir, { recursive: true });
    await writeFile(join(paths.configDir, 'policy.yaml'), 'agents:\n  allow: [shell]\n');
    const ctx = { paths, log: pino({ level: 'silent' }), events: new EventBus(), services: {}, extraLabels: {} } as unknown as AppContext;
    const hooks: SandboxHooks[] = [];
    const sandboxes = { addHooks: (h: SandboxHooks) => void hooks.push(h), list: async (): Promise<SandboxInfo[]> => [], stop: async () => undefined };
    const modules: RouteModule[] = [];
    const start: (() => Promise<void>)[] = [];
    const stop: (() => Promise<void>)[] = [];

    const audit = await registerAuditFeature(ctx, sandboxes, modules, start, stop);
    const policy = await registerPolicyFeature(ctx, sandboxes, modules, stop, audit);
    expect(modules).toEqual([registerAuditRoutes, registerPolicyRoutes]);
    expect(hooks).toEqual([audit, policy]);
    expect(ctx.services).toEqual({ audit, policy });

    for (const h of start) await h();
    const spec = { name: 'claude-x', agent: 'claude', workspace: '/w/x', image: 'i', mounts: [], isolation: 'container', network: 'none', allowHosts: [], cpus: 1, memoryBytes: 1 << 30, pids: 100 } as unknown as SandboxSpec;
    const cctx = { actor: 'dashboard', request: { agent: 'claude', workspace: '/w/x' } } as unknown as CreateContext;
    await expect(policy.beforeCreate(spec, cctx)).rejects.toThrow(/agents\.allow/);
    for (const h of stop) await h();

    const recs = await queryAudit(auditDirOf(paths.stateDir));
    expect(recs.map((r) => [r.actor, r.action, r.sandbox])).toEqual([
      ['paddockd', 'paddockd.start', null],
      ['dashboard', 'policy.refused', 'claude-x'],
      ['paddockd', 'paddockd.stop', null],
    ]);
    expect((await verifyAuditDir(auditDirOf(paths.stateDir))).ok).toBe(true);
  });
});
