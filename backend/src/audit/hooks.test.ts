import { request as httpRequest } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../api/context.js';
import { httpStatusFor, isPaddockError } from '../core/errors.js';
import type { AuditRecord } from '../core/policy-protocol.js';
import type { SandboxInfo } from '../core/protocol.js';
import type { SandboxSpec } from '../core/spec.js';
import type { CreateContext } from '../sandboxes/hooks.js';
import { AuditAction, AuditHooks } from './hooks.js';
import { auditDirOf, listAuditFiles, verifyAuditDir } from './log.js';
import { NetworkAggregator } from './network.js';
import { parseSince, queryAudit } from './query.js';
import { AUDIT_SERVICE, registerAuditRoutes } from './routes.js';

let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'paddock-audit-hooks-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

const info = { name: 'claude-app', agent: 'claude', workspace: '/w/app' } as SandboxInfo;

describe('AuditHooks', () => {
  it('adds the full spec to the service\'s own create record, env names only', async () => {
    const audit = await AuditHooks.open(state, { networkFlushMs: 0 });
    const spec = { name: 'claude-app', agent: 'claude', workspace: '/w/app', image: 'img', isolation: 'gvisor', runtime: 'runsc', network: 'allowlist', allowHosts: [], mounts: [], cpus: 1, memoryBytes: 1, pids: 64, autonomy: true, env: { API_KEY: 'sk-very-secret' } } as unknown as SandboxSpec;
    const ctx = { actor: 'cli', request: { agent: 'claude', workspace: '/w/app', env: { API_KEY: 'sk-very-secret' } } } as unknown as CreateContext;
    await audit.afterCreate(spec, 'c0ffee', ctx);
    await audit.afterStart(info, 'c0ffee'); // the service records start itself
    audit.record('cli', 'sandbox.create', 'claude-app', { agent: 'claude', image: 'img' });
    audit.record('cli', 'sandbox.start', 'claude-app', {});
    await audit.close();
    const recs = await queryAudit(auditDirOf(state));
    expect(recs.map((r) => [r.actor, r.action])).toEqual([['cli', 'sandbox.create'], ['cli', 'sandbox.start']]);
    expect(recs[0]!.details).toMatchObject({ containerId: 'c0ffee', runtime: 'runsc', pids: 64, envNames: ['API_KEY'] });
    expect(JSON.stringify(recs)).not.toContain('sk-very-secret');
  });

  it('records the lifecycle itself in hooks mode, env names only, never values', async () => {
    const audit = await AuditHooks.open(state, { networkFlushMs: 0, lifecycle: 'hooks' });
    const spec = { name: 'claude-app', agent: 'claude', workspace: '/w/app', image: 'img', isolation: 'gvisor', runtime: 'runsc', network: 'allowlist', allowHosts: [], mounts: [], cpus: 1, memoryBytes: 1, pids: 64, autonomy: true, env: { API_KEY: 'sk-very-secret' } } as unknown as SandboxSpec;
    const ctx = { actor: 'cli', request: { agent: 'claude', workspace: '/w/app', env: { API_KEY: 'sk-very-secret' } } } as unknown as CreateContext;
    await audit.afterCreate(spec, 'c0ffee', ctx);
    await audit.afterStart(info, 'c0ffee');
    await audit.afterUpdate(info, { cpus: 2 }, 'dashboard');
    audit.recordSecretUse('paddockd', 'claude-app', 'ANTHROPIC_API_KEY', 'proxy');
    await audit.afterStop(info);
    await audit.beforeRemove(info);
    audit.record('cli', AuditAction.Exec, 'claude-app', { argv0: 'ls' });
    await audit.close();

    const recs = await queryAudit(auditDirOf(state));
    expect(recs.map((r) => [r.actor, r.action])).toEqual([
      ['cli', 'sandbox.create'], ['paddockd', 'sandbox.start'], ['dashboard', 'sandbox.update'], ['paddockd', 'secret.use'],
      ['paddockd', 'sandbox.stop'], ['paddockd', 'sandbox.remove'], ['cli', 'sandbox.exec'],
    ]);
    expect(recs[0]!.details.envNames).toEqual(['API_KEY']);
    expect(recs[3]!.details).toEqual({ secret: 'ANTHROPIC_API_KEY', mode: 'proxy' });
    const raw = (await Promise.all((await listAuditFiles(auditDirOf(state))).map((f) => readFile(join(auditDirOf(state), f), 'utf8')))).join('');
    expect(raw).not.toContain('sk-very-secret');
    expect((await verifyAuditDir(auditDirOf(state))).ok).toBe(true);
  });

  it('reports records it could not write instead of losing them silently', async () => {
    const errors: string[] = [];
    const audit = await AuditHooks.open(state, { networkFlushMs: 0, onError: (_e, action) => errors.push(action) });
    await audit.log.close();
    audit.record('cli', 'sandbox.exec', 'x', {});
    await audit.close();
    expect(errors).toEqual(['sandbox.exec']);
  });
});

describe('NetworkAggregator', () => {
  it('one summary per sandbox, host and minute', () => {
    let now = Date.parse('2026-03-01T10:00:05Z');
    const out: unknown[] = [];
    const agg = new NetworkAggregator((s) => out.push(s), () => now, 0);
    agg.add('a', 'api.anthropic.com', true, 100);
    agg.add('a', 'api.anthropic.com', true, 50);
    agg.add('a', 'evil.example', false, 0);
    agg.add('b', 'api.anthropic.com', true, 7);
    expect(out).toEqual([]);
    now += 60_000; // next minute: a new decision closes the old bucket for that host
    agg.add('a', 'api.anthropic.com', true, 1);
    expect(out).toEqual([{ sandbox: 'a', host: 'api.anthropic.com', minute: '2026-03-01T10:00:00.000Z', allowed: 2, denied: 0, bytes: 150 }]);
    agg.flushBefore(now - (now % 60_000));
    expect(out).toHaveLength(3);
    expect(out[1]).toMatchObject({ sandbox: 'a', host: 'evil.example', denied: 1, allowed: 0 });
    agg.dispose();
    expect(out).toHaveLength(4);
    expect(out[3]).toMatchObject({ minute: '2026-03-01T10:01:00.000Z', allowed: 1, bytes: 1 });
  });

  it('flushes on its own timer', async () => {
    const out: unknown[] = [];
    let now = Date.parse('2026-03-01T10:00:59.990Z');
    const agg = new NetworkAggregator((s) => out.push(s), () => now, 20);
    agg.add('a', 'h', true, 1);
    now += 1000;
    await new Promise((r) => setTimeout(r, 60));
    expect(out).toHaveLength(1);
    agg.dispose();
  });
});

describe('queries', () => {
  it('filters by sandbox, action and time; returns the newest `limit`, oldest first', async () => {
    let t = Date.parse('2026-03-01T00:00:00Z');
    const audit = await AuditHooks.open(state, { networkFlushMs: 0, maxFileBytes: 2048, now: () => new Date((t += 60_000)) });
    for (let i = 0; i < 50; i++) audit.record('cli', i % 2 ? 'sandbox.start' : 'sandbox.stop', `sb-${i % 5}`, { i });
    await audit.close();
    const dir = auditDirOf(state);
    expect((await queryAudit(dir, { limit: 3 })).map((r) => r.details.i)).toEqual([47, 48, 49]);
    expect((await queryAudit(dir, { sandbox: 'sb-1', limit: 1000 })).map((r) => r.details.i)).toEqual([1, 6, 11, 16, 21, 26, 31, 36, 41, 46]);
    expect((await queryAudit(dir, { action: 'sandbox.start', sandbox: 'sb-1' })).length).toBe(5);
    expect((await queryAudit(dir, { action: 'sandbox' })).length).toBe(50);
    expect((await queryAudit(dir, { since: new Date('2026-03-01T00:45:00Z') })).map((r) => r.details.i)).toEqual([44, 45, 46, 47, 48, 49]);
  });

  it.each([
    ['30m', '2026-03-01T11:30:00.000Z'],
    ['2h', '2026-03-01T10:00:00.000Z'],
    ['7d', '2026-02-22T12:00:00.000Z'],
    ['2026-01-31T12:00:00Z', '2026-01-31T12:00:00.000Z'],
  ])('since %s', (s, iso) => {
    expect(parseSince(s, new Date('2026-03-01T12:00:00Z')).toISOString()).toBe(iso);
  });

  it('refuses an unreadable since', () => {
    expect(() => parseSince('yesterday-ish')).toThrow(/--since/);
  });
});

describe('routes', () => {
  let app: FastifyInstance;
  let audit: AuditHooks;
  beforeEach(async () => {
    audit = await AuditHooks.open(state, { networkFlushMs: 0 });
    app = Fastify();
    // What api/server.ts does for every route module: PaddockError → status + ErrorBody.
    app.setErrorHandler((e, _req, reply) => {
      const code = isPaddockError(e) ? e.code : 'internal';
      void reply.status(isPaddockError(e) ? httpStatusFor(e.code) : 500).send({ error: { code, message: e instanceof Error ? e.message : String(e) } });
    });
    await registerAuditRoutes(app, { services: { [AUDIT_SERVICE]: audit } } as unknown as AppContext);
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await app.close();
    await audit.close();
  });

  it('lists, verifies and exports', async () => {
    audit.record('cli', 'sandbox.create', 'a', {});
    audit.record('dashboard', 'sandbox.create', 'b', {});
    const list = await app.inject({ url: '/api/v1/audit?sandbox=b' });
    expect(list.json().map((r: AuditRecord) => r.actor)).toEqual(['dashboard']);
    expect((await app.inject({ url: '/api/v1/audit/verify' })).json()).toMatchObject({ ok: true, records: 2 });
    const exp = await app.inject({ url: '/api/v1/audit/export' });
    expect(exp.headers['content-type']).toContain('ndjson');
    expect(exp.body.trim().split('\n')).toHaveLength(2);
    const bad = await app.inject({ url: '/api/v1/audit?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad_input');
  });

  it('follows: backlog, then live records, over SSE', async () => {
    audit.record('cli', 'before', 'a', {});
    await audit.log.drain();
    const { port } = app.server.address() as { port: number };
    const got: AuditRecord[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', path: '/api/v1/audit/follow?sandbox=a' }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        let buf = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          buf += c;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const ev = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (ev.startsWith('data: ')) got.push(JSON.parse(ev.slice(6)));
            if (got.length === 1) {
              audit.record('cli', 'other-sandbox', 'b', {});
              audit.record('cli', 'after', 'a', {});
            }
            if (got.length === 2) {
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', (e) => (got.length === 2 ? resolve() : reject(e)));
      req.end();
    });
    expect(got.map((r) => r.action)).toEqual(['before', 'after']);
  });
});
