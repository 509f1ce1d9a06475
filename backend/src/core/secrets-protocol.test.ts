import { describe, expect, it } from 'vitest';
import { defaultModeFor, parseScope, parseSecretFlag, PutSecretRequest, SecretAttachments, SECRET_NAME_RE, utf8Length } from './secrets-protocol.js';

describe('secret names', () => {
  it.each(['ANTHROPIC_API_KEY', '_X', 'A1', 'X'.repeat(128)])('%s is allowed', (n) => expect(SECRET_NAME_RE.test(n)).toBe(true));
  it.each(['', 'lower', '1ABC', 'A-B', 'A/B', '..', 'A B', 'X'.repeat(129)])('%j is refused', (n) => expect(SECRET_NAME_RE.test(n)).toBe(false));
});

describe('parseScope', () => {
  it.each([
    ['global', { kind: 'global' }],
    ['agent:claude', { kind: 'agent', target: 'claude' }],
    ['sandbox:claude-web_1-x', { kind: 'sandbox', target: 'claude-web_1-x' }],
    ['sandbox:has.dot', null],
    ['agent:Claude', null],
    ['sandbox:../x', null],
    ['team:x', null],
    ['agent:', null],
  ])('%s', (s, want) => expect(parseScope(s)).toEqual(want));
});

describe('parseSecretFlag', () => {
  it.each([
    ['ANTHROPIC_API_KEY', { name: 'ANTHROPIC_API_KEY', mode: 'proxy' }],
    ['NPM_TOKEN', { name: 'NPM_TOKEN', mode: 'file' }],
    ['NPM_TOKEN:env', { name: 'NPM_TOKEN', mode: 'env' }],
    ['OPENAI_API_KEY:file', { name: 'OPENAI_API_KEY', mode: 'file' }],
    ['WORK_KEY:proxy=openai', { name: 'WORK_KEY', mode: 'proxy', provider: 'openai' }],
    ['GH:proxy=api.github.com', { name: 'GH', mode: 'proxy', host: 'api.github.com' }],
    ['GH:proxy=API.GitHub.com,X-Token', { name: 'GH', mode: 'proxy', host: 'api.github.com', header: 'X-Token' }],
    ['GH:proxy=api.github.com,Authorization,token ', { name: 'GH', mode: 'proxy', host: 'api.github.com', header: 'Authorization', prefix: 'token ' }],
  ])('%s', (flag, want) => expect(parseSecretFlag(flag)).toEqual(want));

  it.each([['lower:file', /secret names/], ['K:plain', /proxy, file or env/], ['K:proxy=not a host', /DNS name/], ['K:proxy=h.com,Bad Header', /header/]])(
    '%s is refused', (flag, msg) => expect(() => parseSecretFlag(flag)).toThrow(msg));

  it('never defaults to env', () => {
    for (const n of ['ANTHROPIC_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'PASSWORD']) expect(defaultModeFor(n)).not.toBe('env');
  });
});

describe('schemas', () => {
  it('attachments: one per name, proxy options only in proxy mode', () => {
    expect(SecretAttachments.safeParse([{ name: 'A', mode: 'file' }, { name: 'A', mode: 'env' }]).success).toBe(false);
    expect(SecretAttachments.safeParse([{ name: 'A', mode: 'file', host: 'x.com' }]).success).toBe(false);
    expect(SecretAttachments.safeParse([{ name: 'A', mode: 'proxy', host: 'x.com', provider: 'openai' }]).success).toBe(false);
    expect(SecretAttachments.safeParse([{ name: 'A', mode: 'proxy', host: 'x.com' }]).success).toBe(true);
  });

  it('PutSecretRequest: scope defaults to global; empty, NUL and oversized values refused; messages never echo the value', () => {
    expect(PutSecretRequest.parse({ value: 'v' })).toEqual({ value: 'v', scope: 'global' });
    for (const value of ['', 'a\0b', 'x'.repeat(64 * 1024 + 1)]) {
      const r = PutSecretRequest.safeParse({ value });
      expect(r.success).toBe(false);
      if (!r.success && value) expect(JSON.stringify(r.error.issues.map((i) => i.message))).not.toContain(value);
    }
    expect(PutSecretRequest.safeParse({ value: 'v', scope: 'agent:claude' }).success).toBe(true);
    expect(PutSecretRequest.safeParse({ value: 'v', scope: 'nope' }).success).toBe(false);
  });

  it('utf8Length matches Buffer.byteLength', () => {
    for (const s of ['abc', 'é', '€', '😀', 'a€😀é']) expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});
