import { describe, expect, it } from 'vitest';
import { attachmentOf, availableSecrets, describeScope, emptyStore, newRow, rowFrom, sameAttachments, scopeOf, validateRows, validateStore } from './secrets-form';

describe('secret store form', () => {
  it('asks for a name, a value and a scope target, in words', () => {
    const { errors, request } = validateStore({ ...emptyStore(), scopeKind: 'agent' });
    expect(request).toBeNull();
    expect(errors.name).toMatch(/name/);
    expect(errors.value).toMatch(/Paste the value/);
    expect(errors.scopeTarget).toMatch(/agent/);
  });

  it('suggests the upper-case spelling of a lower-case name', () => {
    expect(validateStore({ ...emptyStore(), name: 'npm_token', value: 'x' }).errors.name).toBe('Names are upper-case: use NPM_TOKEN.');
    expect(validateStore({ ...emptyStore(), name: '1BAD', value: 'x' }).errors.name).toMatch(/not starting with a digit/);
  });

  it('refuses NUL bytes and values over 64 KiB', () => {
    expect(validateStore({ ...emptyStore(), name: 'A', value: 'a\0b' }).errors.value).toMatch(/NUL/);
    expect(validateStore({ ...emptyStore(), name: 'A', value: 'x'.repeat(64 * 1024 + 1) }).errors.value).toMatch(/at most 64 KiB/);
  });

  it('builds the request with the scope', () => {
    expect(validateStore({ name: 'NPM_TOKEN', scopeKind: 'sandbox', scopeTarget: 'app', value: 's3cret' }).request).toEqual({ name: 'NPM_TOKEN', scope: 'sandbox:app', value: 's3cret' });
    expect(scopeOf({ scopeKind: 'global', scopeTarget: 'ignored' })).toBe('global');
    expect(validateStore({ name: 'A', scopeKind: 'agent', scopeTarget: 'Bad Agent', value: 'v' }).errors.scopeTarget).toMatch(/Not an agent name/);
  });

  it('describes scopes for people', () => {
    expect(describeScope('global')).toBe('every sandbox');
    expect(describeScope('agent:claude')).toBe('claude sandboxes');
    expect(describeScope('sandbox:app')).toBe('sandbox app');
  });
});

describe('attachment rows', () => {
  it('defaults to proxy for names a preset knows, file otherwise; never env', () => {
    expect(attachmentOf(newRow('ANTHROPIC_API_KEY'))).toEqual({ name: 'ANTHROPIC_API_KEY', mode: 'proxy' });
    expect(attachmentOf(newRow('NPM_TOKEN'))).toEqual({ name: 'NPM_TOKEN', mode: 'file' });
  });

  it('round-trips attachments through rows', () => {
    for (const a of [
      { name: 'OPENAI_API_KEY', mode: 'proxy' as const },
      { name: 'WORK_KEY', mode: 'proxy' as const, provider: 'openai' as const },
      { name: 'GH_TOKEN', mode: 'proxy' as const, host: 'api.github.test', header: 'X-Key' },
      { name: 'NPM_TOKEN', mode: 'env' as const },
    ]) {
      expect(attachmentOf(rowFrom(a))).toEqual(a);
    }
  });

  it('names the problem of each row', () => {
    const rows = [newRow('NPM_TOKEN'), newRow('NPM_TOKEN'), { ...newRow('X_KEY'), mode: 'proxy' as const }, newRow('')];
    const r = validateRows(rows, 'allowlist');
    expect(r.attachments).toBeNull();
    expect(r.rowErrors[1]).toMatch(/attached twice/);
    expect(r.rowErrors[2]).toMatch(/API host/);
    expect(r.rowErrors[3]).toMatch(/Pick a secret/);
    expect(validateRows([{ ...newRow('X_KEY'), mode: 'proxy', host: 'not a host' }], 'allowlist').rowErrors[0]).toMatch(/DNS name/);
  });

  it('refuses proxy mode without a network', () => {
    expect(validateRows([newRow('ANTHROPIC_API_KEY')], 'none').rowErrors[0]).toMatch(/needs a network/);
    expect(validateRows([newRow('ANTHROPIC_API_KEY')], 'allowlist').attachments).toEqual([{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' }]);
  });

  it('offers the secrets whose scope reaches the sandbox', () => {
    const s = (name: string, scope: string) => ({ name, scope, updatedAt: '' });
    const list = [s('A', 'global'), s('B', 'agent:claude'), s('C', 'agent:codex'), s('D', 'sandbox:app'), s('A', 'agent:claude')];
    expect(availableSecrets(list, 'claude')).toEqual(['A', 'B']);
    expect(availableSecrets(list, 'claude', 'app')).toEqual(['A', 'B', 'D']);
  });

  it('compares attachment lists regardless of order', () => {
    expect(sameAttachments([{ name: 'A', mode: 'file' }, { name: 'B', mode: 'env' }], [{ name: 'B', mode: 'env' }, { name: 'A', mode: 'file' }])).toBe(true);
    expect(sameAttachments([{ name: 'A', mode: 'file' }], [{ name: 'A', mode: 'env' }])).toBe(false);
  });
});
