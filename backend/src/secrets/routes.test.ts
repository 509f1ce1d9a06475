import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../api/context.js';
import { httpStatusFor, isPaddockError } from '../core/errors.js';
import type { Engine } from '../engine/types.js';
import { registerSecretRoutes } from './routes.js';
import { SecretsService } from './service.js';

const VALUE = 'sk-live-ROUTE-TEST-VALUE-123456';
const app = Fastify();
let svc: SecretsService;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-secrets-routes-'));
  svc = new SecretsService({ engine: { containers: { list: async () => [] } } as unknown as Engine, paths: { stateDir: dir, settingsDir: join(dir, 'sandboxes') } });
  app.setErrorHandler((err, _req, reply) => {
    if (isPaddockError(err)) return reply.code(httpStatusFor(err.code)).send({ error: { code: err.code, message: err.message } });
    return reply.code((err as { statusCode?: number }).statusCode ?? 500).send({ error: { code: 'internal', message: (err as Error).message } });
  });
  await registerSecretRoutes(app, { services: { secrets: svc } } as unknown as AppContext);
  await app.ready();
});
afterAll(() => app.close());

describe('secret routes', () => {
  it('PUT stores, GET lists names/scopes/times, and no answer ever holds the value', async () => {
    const put = await app.inject({ method: 'PUT', url: '/api/v1/secrets/OPENAI_API_KEY', payload: { value: VALUE, scope: 'agent:codex' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ secret: { name: 'OPENAI_API_KEY', scope: 'agent:codex' }, rotated: [] });
    const list = await app.inject({ method: 'GET', url: '/api/v1/secrets' });
    expect(list.json()).toEqual([{ name: 'OPENAI_API_KEY', scope: 'agent:codex', updatedAt: expect.any(String) }]);
    expect(put.body + list.body).not.toContain(VALUE);
  });

  it('refuses bad names, scopes and values with 400, without echoing the value', async () => {
    const cases = [
      { url: '/api/v1/secrets/lower', payload: { value: VALUE } },
      { url: '/api/v1/secrets/OK', payload: { value: VALUE, scope: 'everyone' } },
      { url: '/api/v1/secrets/OK', payload: { value: '' } },
      { url: '/api/v1/secrets/OK', payload: { value: `${VALUE}\0` } },
    ];
    for (const c of cases) {
      const r = await app.inject({ method: 'PUT', ...c });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.body).not.toContain(VALUE);
    }
  });

  it('DELETE removes one scope (204), then 404', async () => {
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/secrets/OPENAI_API_KEY?scope=agent:codex' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/secrets/OPENAI_API_KEY?scope=agent:codex' })).statusCode).toBe(404);
  });

  it('sandbox attachments: GET lists, PUT validates and 404s for an unknown sandbox', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/sandboxes/web/secrets' })).json()).toEqual({ secrets: [], recreateRequired: false });
    const bad = await app.inject({ method: 'PUT', url: '/api/v1/sandboxes/web/secrets', payload: { secrets: [{ name: 'A', mode: 'plain' }] } });
    expect(bad.statusCode).toBe(400);
    const missing = await app.inject({ method: 'PUT', url: '/api/v1/sandboxes/web/secrets', payload: { secrets: [{ name: 'A', mode: 'file' }] } });
    expect(missing.statusCode).toBe(404);
  });

  it('shared logins: opt in and out per agent', async () => {
    const on = await app.inject({ method: 'PUT', url: '/api/v1/shared-logins/claude', payload: { enabled: true } });
    expect(on.json()).toEqual({ agents: ['claude'] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/shared-logins' })).json()).toEqual({ agents: ['claude'], supported: ['claude', 'codex', 'gemini', 'opencode'] });
    expect((await app.inject({ method: 'PUT', url: '/api/v1/shared-logins/shell', payload: { enabled: true } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/api/v1/shared-logins/claude', payload: { enabled: false } })).json()).toEqual({ agents: [] });
  });
});
