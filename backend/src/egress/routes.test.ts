import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../api/context.js';
import { httpStatusFor, isPaddockError } from '../core/errors.js';
import { formatDecision, formatShow } from '../cli/commands/network.js';
import { registerNetworkRoutes } from './routes.js';

function fakeEgress() {
  const calls: unknown[][] = [];
  const view = { name: 'sb', mode: 'allowlist', rules: [{ action: 'allow', rule: 'a.test', source: 'agent' }], presets: { agent: ['a.test'], groups: { npm: ['registry.npmjs.org'] } }, counters: { allowed: 2, denied: 1, bytesUp: 10, bytesDown: 2048, hosts: { 'a.test': { allowed: 2, denied: 0, bytes: 2058 } } }, proxy: { address: '10.213.0.2', httpProxy: 'http://10.213.0.2:3128', credentialBase: 'http://10.213.0.2:3129', running: true } };
  return {
    calls,
    view,
    svc: {
      has: (n: string) => n === 'sb',
      view: async () => view,
      addRule: async (...a: unknown[]) => (calls.push(['add', ...a]), view),
      removeRule: async (...a: unknown[]) => (calls.push(['rm', ...a]), view),
      setRules: async (...a: unknown[]) => (calls.push(['set', ...a]), view),
      setMode: async (...a: unknown[]) => (calls.push(['mode', ...a]), view),
      recentLog: async () => [{ seq: 1, time: '2026-01-01T00:00:00.000Z', sandbox: 'sb', kind: 'http', method: 'GET', host: 'a.test', port: 80, address: '1.2.3.4', allowed: true, rule: 'a.test', reason: 'allowed', bytesUp: 1, bytesDown: 2, durationMs: 3 }],
      followLog: () => () => {},
    },
  };
}

async function app(services: Record<string, unknown>) {
  const a = Fastify();
  a.setErrorHandler((err, _req, reply) => {
    if (isPaddockError(err)) return reply.code(httpStatusFor(err.code)).send({ error: { code: err.code, message: err.message } });
    return reply.code(500).send({ error: { code: 'internal', message: String(err) } });
  });
  await registerNetworkRoutes(a, { services } as unknown as AppContext);
  return a;
}

describe('network routes', () => {
  it('shows, adds, removes and replaces rules', async () => {
    const f = fakeEgress();
    const a = await app({ egress: f.svc });
    expect((await a.inject({ method: 'GET', url: '/api/v1/sandboxes/sb/network' })).json()).toMatchObject({ mode: 'allowlist' });
    expect((await a.inject({ method: 'POST', url: '/api/v1/sandboxes/sb/network/rules', payload: { action: 'deny', rule: 'x.test' } })).statusCode).toBe(200);
    expect((await a.inject({ method: 'DELETE', url: '/api/v1/sandboxes/sb/network/rules?rule=x.test' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'PUT', url: '/api/v1/sandboxes/sb/network/rules', payload: { rules: [{ action: 'allow', rule: 'y.test' }] } })).statusCode).toBe(200);
    expect(f.calls).toEqual([['add', 'sb', 'deny', 'x.test', 'api'], ['rm', 'sb', 'x.test'], ['set', 'sb', [{ action: 'allow', rule: 'y.test' }], 'api']]);
  });

  it('validates input and names unknown sandboxes', async () => {
    const a = await app({ egress: fakeEgress().svc });
    const bad = await a.inject({ method: 'POST', url: '/api/v1/sandboxes/sb/network/rules', payload: { action: 'maybe', rule: 'x' } });
    expect(bad.statusCode).toBe(400);
    const missing = await a.inject({ method: 'GET', url: '/api/v1/sandboxes/nope/network' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('paddock ls');
  });

  it('changes mode through the sandbox service when there is one', async () => {
    const f = fakeEgress();
    const updates: unknown[] = [];
    const a = await app({ egress: f.svc, sandboxes: { update: async (...x: unknown[]) => updates.push(x) } });
    expect((await a.inject({ method: 'PUT', url: '/api/v1/sandboxes/sb/network/mode', payload: { mode: 'none' } })).statusCode).toBe(200);
    expect(updates).toEqual([['sb', { network: 'none' }, 'api']]);
    const b = await app({ egress: f.svc });
    await b.inject({ method: 'PUT', url: '/api/v1/sandboxes/sb/network/mode', payload: { mode: 'open' } });
    expect(f.calls).toContainEqual(['mode', 'sb', 'open']);
    expect((await b.inject({ method: 'PUT', url: '/api/v1/sandboxes/sb/network/mode', payload: { mode: 'wide' } })).statusCode).toBe(400);
  });

  it('returns the recent log as JSON', async () => {
    const a = await app({ egress: fakeEgress().svc });
    const r = await a.inject({ method: 'GET', url: '/api/v1/sandboxes/sb/network/log?limit=5' });
    expect(r.json()).toHaveLength(1);
  });

  it('says so when the egress module is missing', async () => {
    const a = await app({});
    const r = await a.inject({ method: 'GET', url: '/api/v1/sandboxes/sb/network' });
    expect(r.statusCode).toBe(500);
    expect(r.json().error.message).toMatch(/egress module/);
  });
});

describe('paddock network output', () => {
  it('formats show and log lines', () => {
    const f = fakeEgress();
    const text = formatShow(f.view as never);
    expect(text).toContain('network mode allowlist');
    expect(text).toContain('allow  a.test');
    expect(text).toContain('@npm (registry.npmjs.org)');
    expect(text).toContain('2 allowed, 1 denied');
    const line = formatDecision({ seq: 1, time: '2026-01-01T00:00:00.000Z', sandbox: 'sb', kind: 'connect', method: 'CONNECT', host: 'evil.test', port: 443, address: null, allowed: false, rule: null, reason: 'evil.test is not in the allowlist', bytesUp: 0, bytesDown: 0, durationMs: 1 });
    expect(line).toMatch(/DENY .*CONNECT .*evil\.test:443 .*not in the allowlist/);
  });
});
