import { describe, expect, it } from 'vitest';
import { describeFileError, formatValue, onlyBuiltIn, ruleRows } from './policy-view';

const files = { user: { path: '/home/u/.config/paddock/policy.yaml', present: true }, org: { path: '/etc/paddock/org.yaml', present: true } };

describe('policy page', () => {
  it('gathers repeated rules and says where each value came from', () => {
    const rows = ruleRows({
      files,
      rules: [
        { rule: 'isolation.allow', value: ['gvisor'], source: files.org.path },
        { rule: 'network.denyHosts', value: 'paste.test', source: files.user.path },
        { rule: 'network.denyHosts', value: '10.0.0.0/8', source: files.org.path },
        { rule: 'onViolation', value: 'flag', source: 'built-in' },
      ],
    });
    expect(rows.map((r) => r.rule)).toEqual(['isolation.allow', 'network.denyHosts', 'onViolation']);
    expect(rows[1]!.entries).toEqual([
      { value: 'paste.test', source: files.user.path, kind: 'user' },
      { value: '10.0.0.0/8', source: files.org.path, kind: 'org' },
    ]);
    expect(rows[0]!.help).toMatch(/Isolation levels/);
    expect(rows[2]!.entries[0]!.kind).toBe('built-in');
  });

  it('knows when nothing but the built-in rules apply', () => {
    expect(onlyBuiltIn({ files: { user: files.user, org: null }, rules: [{ rule: 'onViolation', value: 'flag', source: 'built-in' }] })).toBe(true);
    expect(onlyBuiltIn({ files, rules: [{ rule: 'agents.allow', value: ['shell'], source: files.user.path }] })).toBe(false);
  });

  it('formats values and file errors for people', () => {
    expect(formatValue(['a', 'b'])).toBe('a, b');
    expect(formatValue([])).toBe('(none)');
    expect(formatValue(false)).toBe('no');
    expect(formatValue(4)).toBe('4');
    expect(describeFileError({ file: '/p.yaml', line: 4, column: 11, path: 'isolation.allow.0', message: 'Invalid enum value' })).toBe('/p.yaml:4:11: isolation.allow.0: Invalid enum value');
    expect(describeFileError({ file: '/p.yaml', line: null, column: null, path: '', message: 'not found' })).toBe('/p.yaml: not found');
  });
});
