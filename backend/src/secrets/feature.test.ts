import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppContext, RouteModule } from '../api/context.js';
import type { CredentialRule } from '../egress/proxy/control-protocol.js';
import type { SandboxHooks } from '../sandboxes/hooks.js';
import { registerSecretsFeature } from './feature.js';
import { SecretMasker } from './mask.js';
import { registerSecretRoutes } from './routes.js';
import { SecretsService } from './service.js';

describe('registerSecretsFeature', () => {
  it('adds the service, its hooks, its routes and a restore at start; proxy mode goes to the egress module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-secrets-feature-'));
    const ctx = {
      engine: { containers: { list: async () => [] } },
      paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') },
      log: { warn: () => undefined },
      extraLabels: {},
      services: {},
    } as unknown as AppContext;
    const hooks: SandboxHooks[] = [];
    const modules: RouteModule[] = [];
    const lifecycle = { startHooks: [] as Array<() => Promise<void>>, stopHooks: [] as Array<() => Promise<void>> };
    const pushed: { sandbox: string; creds: CredentialRule[] }[] = [];
    const masker = new SecretMasker();
    const svc = registerSecretsFeature(ctx, { addHooks: (h) => hooks.push(h) }, modules, lifecycle, {
      masker,
      egress: { setCredentials: async (sandbox, creds) => void pushed.push({ sandbox, creds }) },
    });
    expect(svc).toBeInstanceOf(SecretsService);
    expect(ctx.services.secrets).toBe(svc);
    expect(hooks).toEqual([svc]);
    expect(modules).toEqual([registerSecretRoutes]);
    expect(lifecycle.startHooks).toHaveLength(1);
    await lifecycle.startHooks[0]!();
    expect(svc.masker).toBe(masker);
    await svc.set('OPENAI_API_KEY', 'global', 'sk-feature-test-1234', 'cli');
    await svc.beforeCreate(
      { name: 'f', agent: 'codex', network: 'allowlist', env: {}, tmpfs: {}, uid: 1, gid: 1 } as never,
      { actor: 'cli', request: { secrets: [{ name: 'OPENAI_API_KEY', mode: 'proxy' }] }, plan: { proxy: '10.0.0.2' } } as never,
    );
    await svc.afterStart({ name: 'f', agent: 'codex', uid: 1, gid: 1 } as never, 'id');
    expect(pushed).toEqual([{ sandbox: 'f', creds: [{ id: 'openai', host: 'api.openai.com', header: 'Authorization', value: 'Bearer sk-feature-test-1234' }] }]);
  });
});
