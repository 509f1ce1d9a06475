/**
 * `paddock policy …` and `paddock audit …` end to end: the real commands, the real DaemonClient,
 * the real routes and services, over a Unix socket in a temp dir (no engine needed).
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../api/context.js';
import { AuditHooks } from '../../audit/hooks.js';
import { auditDirOf, listAuditFiles } from '../../audit/log.js';
import { AUDIT_SERVICE, registerAuditRoutes } from '../../audit/routes.js';
import { httpStatusFor, isPaddockError } from '../../core/errors.js';
import { resolvePaths, type PaddockPaths } from '../../daemon/paths.js';
import { POLICY_SERVICE, registerPolicyRoutes } from '../../policy/routes.js';
import { PolicyService } from '../../policy/service.js';
import { DaemonClient } from '../client.js';
import { register as registerAudit } from './audit.js';
import { register as registerPolicy } from './policy.js';

let dir: string;
let paths: PaddockPaths;
let app: FastifyInstance | null;
let audit: AuditHooks;
let policy: PolicyService;
let out: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-cli-'));
  paths = resolvePaths({ PADDOCK_STATE_DIR: join(dir, 'state'), PADDOCK_CONFIG_DIR: join(dir, 'config') });
  await mkdir(paths.stateDir, { recursive: true });
  await mkdir(paths.configDir, { recursive: true });
  audit = await AuditHooks.open(paths.stateDir, { networkFlushMs: 0 });
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await app?.close();
  app = null;
  await policy?.dispose();
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

async function startDaemon(): Promise<void> {
  policy = await PolicyService.start({ configDir: paths.configDir, orgPath: null, homeDir: '/home/ada', pollMs: 0, listSandboxes: async () => [], stopSandbox: async () => undefined, record: (...a) => audit.record(...a) });
  app = Fastify();
  app.setErrorHandler((e, _req, reply) => {
    void reply.status(isPaddockError(e) ? httpStatusFor(e.code) : 500).send({ error: { code: isPaddockError(e) ? e.code : 'internal', message: e instanceof Error ? e.message : String(e) } });
  });
  const ctx = { services: { [POLICY_SERVICE]: policy, [AUDIT_SERVICE]: audit } } as unknown as AppContext;
  await registerPolicyRoutes(app, ctx);
  await registerAuditRoutes(app, ctx);
  await app.listen({ path: paths.socketPath });
}

async function paddock(...args: string[]): Promise<string> {
  const program = new Command('paddock').exitOverride();
  const client = async (): Promise<DaemonClient> => new DaemonClient(paths);
  registerPolicy(program, client);
  registerAudit(program, client, () => paths);
  out = '';
  await program.parseAsync(args, { from: 'user' });
  return out;
}

describe('paddock policy', () => {
  it('show lists each rule with its file', async () => {
    await writeFile(join(paths.configDir, 'policy.yaml'), 'agents:\n  allow: [claude, shell]\nresources:\n  max: {memory: 8g}\n');
    await startDaemon();
    const text = await paddock('policy', 'show');
    expect(text).toMatch(/agents\.allow\s+claude, shell\s+.*policy\.yaml/);
    expect(text).toMatch(/resources\.max\.memory\s+8GiB/);
    expect(text).toContain('flagged (onViolation: flag, from built-in)');
    expect(JSON.parse(await paddock('policy', 'show', '--json')).rules).toHaveLength(3);
  });

  it('show points at the broken line', async () => {
    await writeFile(join(paths.configDir, 'policy.yaml'), 'agents:\n  allow: [claude]\nisolation:\n  allow: [vm]\n');
    await startDaemon();
    expect(await paddock('policy', 'show')).toContain(`${join(paths.configDir, 'policy.yaml')}:4:11: isolation.allow.0:`);
  });

  it('check is a dry run that names the rule and exits 5 when refused', async () => {
    await writeFile(join(paths.configDir, 'policy.yaml'), 'isolation:\n  allow: [gvisor]\nresources:\n  max: {cpus: 2}\n');
    await startDaemon();
    expect(await paddock('policy', 'check', 'shell', '/home/ada/src/x', '--isolation', 'gvisor')).toBe('Allowed: the policy permits this sandbox.\n');
    expect(process.exitCode).toBeUndefined();
    const text = await paddock('policy', 'check', 'shell', '/home/ada/src/x', '--isolation', 'container', '--cpus', '4');
    expect(text).toContain('isolation.allow');
    expect(text).toContain('resources.max.cpus');
    expect(text).toContain('--isolation gvisor');
    expect(process.exitCode).toBe(5);
  });
});

describe('paddock audit', () => {
  it('lists records with filters, as text or JSON', async () => {
    await startDaemon();
    audit.record('cli', 'sandbox.create', 'claude-app', { agent: 'claude' });
    audit.record('dashboard', 'sandbox.stop', 'other', {});
    await audit.log.drain();
    const text = await paddock('audit');
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text).toMatch(/cli\s+sandbox\.create\s+claude-app\s+agent=claude/);
    const json = (await paddock('audit', '--sandbox', 'other', '--json')).trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toEqual([expect.objectContaining({ actor: 'dashboard', action: 'sandbox.stop' })]);
    expect(await paddock('audit', '--since', '1h', '--action', 'policy')).toContain('No audit records match');
  });

  it('verify works through paddockd and without it, and fails on damage', async () => {
    await startDaemon();
    for (let i = 0; i < 5; i++) audit.record('cli', 'x', null, { i });
    await audit.log.drain();
    expect(await paddock('audit', 'verify')).toMatch(/^OK: 5 records in 1 file \(via paddockd\)/);

    await app!.close(); // paddockd gone (its socket file may linger)
    app = null;
    expect(await paddock('audit', 'verify')).toMatch(/^OK: 5 records in 1 file \(.*audit\)/);

    const [f] = await listAuditFiles(auditDirOf(paths.stateDir));
    const p = join(auditDirOf(paths.stateDir), f!);
    await writeFile(p, (await readFile(p, 'utf8')).replace('"i":2', '"i":7'));
    const text = await paddock('audit', 'verify', '--offline');
    expect(text).toContain('FAILED');
    expect(text).toContain('First bad record: 3');
    expect(process.exitCode).toBe(1);
  });

  it('verify notes a crash tail without failing', async () => {
    audit.record('cli', 'x', null, {});
    await audit.log.drain();
    const [f] = await listAuditFiles(auditDirOf(paths.stateDir));
    await appendFile(join(auditDirOf(paths.stateDir), f!), '{"seq":2,"ti');
    const text = await paddock('audit', 'verify');
    expect(text).toMatch(/^OK: 1 records/);
    expect(text).toContain('unfinished last line (12 bytes');
  });

  it('export writes the log exactly as stored', async () => {
    await startDaemon();
    audit.record('cli', 'a', null, {});
    audit.record('cli', 'b', null, {});
    await audit.log.drain();
    const file = join(dir, 'export.jsonl');
    await paddock('audit', 'export', '-o', file);
    const [f] = await listAuditFiles(auditDirOf(paths.stateDir));
    expect(await readFile(file, 'utf8')).toBe(await readFile(join(auditDirOf(paths.stateDir), f!), 'utf8'));
  });

  it('follow prints the backlog, then new records', async () => {
    await startDaemon();
    audit.record('cli', 'first', 's', {});
    await audit.log.drain();
    const program = new Command('paddock').exitOverride();
    let stop: (() => void) | null = null;
    const client = async (): Promise<DaemonClient> => {
      const c = new DaemonClient(paths);
      const stream = c.stream.bind(c);
      c.stream = (path, onLine, onEnd) => (stop = stream(path, onLine, onEnd));
      return c;
    };
    registerAudit(program, client, () => paths);
    out = '';
    const running = program.parseAsync(['audit', '--follow', '--sandbox', 's'], { from: 'user' });
    const waitFor = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor(/first/);
    audit.record('cli', 'second', 's', {});
    await waitFor(/second/);
    await app!.close(); // ends the stream
    app = null;
    await running;
    expect(stop).not.toBeNull();
    expect(out).toMatch(/first[\s\S]*second/);
  });
});
