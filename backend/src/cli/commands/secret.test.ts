import { Command } from 'commander';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DaemonClient } from '../client.js';
import { parseSecretFlags, register, type SecretIo } from './secret.js';

function harness(stdinText = '', env: NodeJS.ProcessEnv = {}, answers: Record<string, unknown> = {}) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  let out = '';
  let err = '';
  const fake = {
    request: async (method: string, path: string, body?: unknown) => {
      calls.push({ method, path, body });
      return answers[`${method} ${path}`];
    },
  } as unknown as DaemonClient;
  const io: SecretIo = {
    stdin: Readable.from([Buffer.from(stdinText)]),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
  };
  const program = new Command('paddock').exitOverride();
  register(program, async () => fake, io);
  return { calls, run: (...args: string[]) => program.parseAsync(args, { from: 'user' }), out: () => out, err: () => err };
}

const STORED = { secret: { name: 'K', scope: 'global', updatedAt: 't' }, rotated: [], recreateRequired: [] };

describe('paddock secret', () => {
  it('set --stdin sends the value (one trailing newline dropped) with the scope', async () => {
    const h = harness('s3cr3t-value\n', {}, { 'PUT /secrets/NPM_TOKEN': { ...STORED, rotated: ['web'] } });
    await h.run('secret', 'set', 'NPM_TOKEN', '--stdin', '--scope', 'agent:claude');
    expect(h.calls).toEqual([{ method: 'PUT', path: '/secrets/NPM_TOKEN', body: { value: 's3cr3t-value', scope: 'agent:claude' } }]);
    expect(h.out()).toContain('updated in running sandboxes: web');
    expect(h.out()).not.toContain('s3cr3t-value');
  });

  it('set --from-env reads the named variable', async () => {
    const h = harness('', { MY_KEY: 'from-env-value' }, { 'PUT /secrets/ANTHROPIC_API_KEY': STORED });
    await h.run('secret', 'set', 'ANTHROPIC_API_KEY', '--from-env', 'MY_KEY');
    expect(h.calls[0]!.body).toEqual({ value: 'from-env-value', scope: 'global' });
  });

  it('refuses a value on the command line, an unset variable, an empty value, a bad name or scope — sending nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['secret', 'set', 'K', 'the-value'], /never takes a secret value on the command line/],
      [['secret', 'set', 'K', '--from-env', 'NOPE'], /NOPE is not set/],
      [['secret', 'set', 'K', '--stdin'], /empty/],
      [['secret', 'set', 'lower', '--stdin'], /not a valid secret name/],
      [['secret', 'set', 'K', '--stdin', '--scope', 'team:x'], /not a valid scope/],
    ];
    for (const [args, msg] of cases) {
      const h = harness('');
      await expect(h.run(...args)).rejects.toThrow(msg);
      expect(h.calls).toEqual([]);
    }
  });

  it('ls prints names, scopes and times; --json passes them through', async () => {
    const list = [{ name: 'A', scope: 'global', updatedAt: '2026-01-01T00:00:00.000Z' }];
    const h = harness('', {}, { 'GET /secrets': list });
    await h.run('secret', 'ls');
    expect(h.out()).toMatch(/NAME\s+SCOPE\s+UPDATED\nA\s+global\s+2026-01-01/);
    const j = harness('', {}, { 'GET /secrets': list });
    await j.run('secret', 'ls', '--json');
    expect(JSON.parse(j.out())).toEqual(list);
  });

  it('rm sends the scope', async () => {
    const h = harness();
    await h.run('secret', 'rm', 'K', '--scope', 'sandbox:web');
    expect(h.calls).toEqual([{ method: 'DELETE', path: '/secrets/K?scope=sandbox%3Aweb', body: undefined }]);
  });

  it('attach replaces the list, warns about env mode and says when a recreate is needed', async () => {
    const h = harness('', {}, { 'PUT /sandboxes/web/secrets': { secrets: [{ name: 'A', mode: 'env' }], recreateRequired: true } });
    await h.run('secret', 'attach', 'web', 'A:env', 'B:file');
    expect(h.calls[0]!.body).toEqual({ secrets: [{ name: 'A', mode: 'env' }, { name: 'B', mode: 'file' }] });
    expect(h.err()).toMatch(/warning: A: env mode.*docker inspect/);
    expect(h.out()).toContain('recreated');
  });
});

describe('parseSecretFlags', () => {
  it('parses repeatable --secret values and refuses duplicates', () => {
    const err: string[] = [];
    expect(parseSecretFlags(['ANTHROPIC_API_KEY', 'NPM_TOKEN:file'], { write: (s) => err.push(s) })).toEqual([
      { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }, { name: 'NPM_TOKEN', mode: 'file' },
    ]);
    expect(err).toEqual([]);
    expect(() => parseSecretFlags(['A:file', 'A:env'])).toThrow(/given twice/);
    expect(() => parseSecretFlags(['A:bogus'])).toThrow(/proxy, file or env/);
  });
});
