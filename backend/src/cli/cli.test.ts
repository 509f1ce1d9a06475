import { describe, expect, it } from 'vitest';
import { DetachMatcher, parseDetachKeys } from './attach.js';
import { parseEnvFile, parseEnvPairs, parseMountSpec } from './main.js';

describe('detach keys', () => {
  it('parses ctrl sequences', () => expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([0x10, 0x11]));
  it('refuses nonsense', () => expect(() => parseDetachKeys('hyper-x')).toThrow(/Cannot read detach key/));
  it('detaches on the sequence and forwards everything else', () => {
    const m = new DetachMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(m.feed(Buffer.from('ab'))).toEqual({ forward: Buffer.from('ab'), detach: false });
    expect(m.feed(Buffer.from([0x10]))).toEqual({ forward: Buffer.alloc(0), detach: false });
    expect(m.feed(Buffer.from('x'))).toEqual({ forward: Buffer.from([0x10, 0x78]), detach: false });
    const split = new DetachMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
    split.feed(Buffer.from([0x61, 0x10]));
    expect(split.feed(Buffer.from([0x11])).detach).toBe(true);
  });
});

describe('env input', () => {
  it('reads -e pairs', () => expect(parseEnvPairs(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' }));
  it('passes a host variable with -e NAME', () => {
    process.env.PADDOCK_TEST_PASS = 'v';
    expect(parseEnvPairs(['PADDOCK_TEST_PASS'])).toEqual({ PADDOCK_TEST_PASS: 'v' });
  });
  it('refuses -e without a value it can find', () => expect(() => parseEnvPairs(['=x'])).toThrow(/NAME=value/));
  it('reads env files with comments, export and quotes, naming a bad line', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\n\nC=\'q\'\n', 'f')).toEqual({ A: '1', B: 'two words', C: 'q' });
    expect(() => parseEnvFile('A=1\nnot a line\n', '.env')).toThrow(/\.env:2: expected NAME=value/);
  });
  it('reads mount specs', () => {
    expect(parseMountSpec('/data:ro')).toEqual({ source: '/data', readOnly: true });
    expect(parseMountSpec('/data')).toEqual({ source: '/data', readOnly: false });
  });
});
