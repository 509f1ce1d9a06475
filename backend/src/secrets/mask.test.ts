import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MAX_RETIRED_VALUES, maskingLogHooks, SecretMasker } from './mask.js';

describe('SecretMasker', () => {
  it('replaces every occurrence of every value with its name', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'A_KEY', value: 'sk-aaaa1111' }, { name: 'B_KEY', value: 'tok-bbbb' }]);
    expect(m.mask('x sk-aaaa1111 y tok-bbbb z sk-aaaa1111')).toBe('x [secret:A_KEY] y [secret:B_KEY] z [secret:A_KEY]');
  });

  it('masks the longer value first when one contains another', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'SHORT', value: 'abcd' }, { name: 'LONG', value: 'abcdefgh' }]);
    expect(m.mask('abcdefgh abcd')).toBe('[secret:LONG] [secret:SHORT]');
  });

  it('treats regex characters in values literally', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'K', value: 'a.b*c+(d)$' }]);
    expect(m.mask('a.b*c+(d)$ axbbbc')).toBe('[secret:K] axbbbc');
  });

  it('masks the JSON-escaped form too', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'PEM', value: 'line1\nline2"quoted"' }]);
    expect(m.mask(JSON.stringify({ msg: 'x line1\nline2"quoted" y' }))).toBe('{"msg":"x [secret:PEM] y"}');
  });

  it('leaves very short values and text without values alone', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'TINY', value: 'ab' }, { name: 'K', value: 'secret-value' }]);
    expect(m.mask('ab cd secret-value')).toBe('ab cd [secret:K]');
  });

  it('keeps masking rotated and removed values, up to a bound', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'K', value: 'old-value-1' }]);
    m.setValues([{ name: 'K', value: 'new-value-2' }]);
    m.setValues([]);
    expect(m.mask('old-value-1 new-value-2')).toBe('[secret:K] [secret:K]');
    for (let i = 0; i < MAX_RETIRED_VALUES + 1; i++) m.setValues([{ name: 'N', value: `value-number-${i}` }]);
    expect(m.mask('old-value-1')).toBe('old-value-1'); // the oldest fell out
    expect(m.mask('value-number-10')).toBe('[secret:N]');
  });

  it('masks every line a pino logger writes: message, fields and error stacks', () => {
    const m = new SecretMasker();
    m.setValues([{ name: 'OPENAI_API_KEY', value: 'sk-proj-REALKEY123' }]);
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = pino({ hooks: maskingLogHooks(m) }, sink);
    log.info({ header: 'Bearer sk-proj-REALKEY123' }, 'calling with sk-proj-REALKEY123');
    log.child({ token: 'sk-proj-REALKEY123' }).warn('child');
    log.error(new Error('failed: sk-proj-REALKEY123'));
    const all = lines.join('');
    expect(lines).toHaveLength(3);
    expect(all).not.toContain('sk-proj-REALKEY123');
    expect(all).toContain('[secret:OPENAI_API_KEY]');
  });
});
