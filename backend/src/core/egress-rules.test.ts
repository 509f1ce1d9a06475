import { describe, expect, it } from 'vitest';
import {
  classifyAddress, compileRules, decideAddress, decideName, forcedDenial, formatIp, parseIp, parseRule, splitHostPort, suggestedRule,
  type EgressMode, type EgressRule,
} from './egress-rules.js';
import { PaddockError } from './errors.js';

describe('parseRule', () => {
  it.each([
    ['api.example.com', 'host', 'api.example.com', null],
    ['API.Example.COM.', 'host', 'api.example.com', null],
    ['api.example.com:443', 'host', 'api.example.com:443', 443],
    ['*.example.com', 'wildcard', '*.example.com', null],
    ['*.example.com:8443', 'wildcard', '*.example.com:8443', 8443],
    ['localhost', 'host', 'localhost', null],
    ['10.0.0.0/8', 'cidr', '10.0.0.0/8', null],
    ['10.1.2.3/8', 'cidr', '10.1.2.3/8', null],
    ['10.1.2.3', 'cidr', '10.1.2.3', null],
    ['10.1.2.3:8080', 'cidr', '10.1.2.3:8080', 8080],
    ['fd00::/8', 'cidr', 'fd00::/8', null],
    ['2001:DB8::1', 'cidr', '2001:db8::1', null],
    ['[2001:db8::1]:443', 'cidr', '[2001:db8::1]:443', 443],
    ['my_host.internal', 'host', 'my_host.internal', null],
  ])('%s → %s %s', (text, kind, raw, port) => {
    const r = parseRule(text, 'allow');
    expect(r.target.kind).toBe(kind);
    expect(r.raw).toBe(raw);
    expect(r.port).toBe(port);
  });

  it.each([
    ['', /cannot be empty/],
    ['*', /mode "open"/],
    ['https://api.example.com/v1', /looks like a URL.*api\.example\.com/],
    ['a..b', /empty label/],
    ['-a.com', /not a valid host name label/],
    ['a*.com', /wildcard is only allowed as the first label/],
    ['*.*.com', /wildcard is only allowed as the first label/],
    ['host:0', /outside 1–65535/],
    ['host:99999', /outside 1–65535/],
    ['host:http', /not a number/],
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/0', /every address/],
    ['300.1.1.1', /not a valid IPv4/],
    ['10.0.0.0/8:80', /CIDR/],
    ['bücher.de', /punycode/],
    ['[zz::1]', /IPv6/],
  ])('rejects %j with a clear message', (text, msg) => {
    let err: unknown;
    try {
      parseRule(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PaddockError);
    expect((err as PaddockError).code).toBe('bad_input');
    expect((err as PaddockError).message).toMatch(msg);
  });
});

describe('IP parsing and classification', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('%s formats as %s', (a, b) => {
    expect(formatIp(parseIp(a)!)).toBe(b);
  });

  it.each(['01.2.3.4', '1.2.3', '1.2.3.4.5', '1:2:3:4:5:6:7:8:9', 'a.b.c.d', '1::2::3'])('%s is not an address', (a) => {
    expect(parseIp(a)).toBeNull();
  });

  it.each([
    ['203.0.115.10', 'public'], // a public address no test ever connects to
    ['127.0.0.1', 'loopback'],
    ['10.213.0.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd12::1', 'private'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['2a0e:1000::1', 'public'],
  ])('%s is %s', (a, cls) => {
    expect(classifyAddress(parseIp(a)!)).toBe(cls);
  });
});

function rules(list: Array<[string, string]>): ReturnType<typeof compileRules> {
  return compileRules(list.map(([action, rule]) => ({ action, rule }) as EgressRule));
}

describe('decideName', () => {
  const r = rules([
    ['allow', 'a.test'],
    ['allow', '*.b.test'],
    ['deny', '*.evil.b.test'],
    ['allow', 'ok.evil.b.test'],
    ['allow', 'port.test:8443'],
    ['deny', 'both.test'],
    ['allow', 'both.test'],
    ['allow', 'c.test'],
    ['deny', 'c.test:25'],
    ['allow', '10.9.9.9'],
    ['allow', '192.168.7.0/24'],
  ]);
  it.each<[string, number, EgressMode, boolean, string | null]>([
    ['a.test', 80, 'allowlist', true, 'a.test'],
    ['A.TEST.', 443, 'allowlist', true, 'a.test'],
    ['sub.a.test', 443, 'allowlist', false, null], // exact host does not cover subdomains
    ['evil-a.test', 443, 'allowlist', false, null],
    ['b.test', 443, 'allowlist', false, null], // *.b.test is subdomains only, not the apex
    ['x.b.test', 443, 'allowlist', true, '*.b.test'],
    ['x.y.b.test', 443, 'allowlist', true, '*.b.test'],
    ['evil-b.test', 443, 'allowlist', false, null],
    ['xb.test', 443, 'allowlist', false, null],
    ['x.evil.b.test', 443, 'allowlist', false, '*.evil.b.test'], // longer suffix wins
    ['ok.evil.b.test', 443, 'allowlist', true, 'ok.evil.b.test'], // exact beats wildcard
    ['port.test', 8443, 'allowlist', true, 'port.test:8443'],
    ['port.test', 443, 'allowlist', false, null],
    ['both.test', 443, 'allowlist', false, 'both.test'], // tie → deny
    ['c.test', 443, 'allowlist', true, 'c.test'],
    ['c.test', 25, 'allowlist', false, 'c.test:25'], // port-specific beats portless
    ['10.9.9.9', 80, 'allowlist', true, '10.9.9.9'],
    ['10.9.9.8', 80, 'allowlist', false, null], // raw IP without a rule
    ['192.168.7.5', 80, 'allowlist', true, '192.168.7.0/24'],
    ['unknown.test', 443, 'open', true, null],
    ['x.evil.b.test', 443, 'open', false, '*.evil.b.test'], // deny rules still hold in open mode
    ['a.test', 443, 'none', false, null],
  ])('%s:%i in %s → %s by %s', (host, port, mode, allowed, rule) => {
    const v = decideName(r, host, port, mode);
    expect(v.allowed).toBe(allowed);
    expect(v.rule).toBe(rule);
    expect(v.reason.length).toBeGreaterThan(5);
  });

  it('explains raw IP refusals', () => {
    expect(decideName([], '1.2.3.4', 80, 'allowlist').reason).toMatch(/raw IP/);
  });
});

describe('decideAddress', () => {
  const r = rules([
    ['allow', '172.20.0.5'],
    ['allow', '10.0.0.0/8'],
    ['deny', '10.1.0.0/16'],
    ['deny', '203.0.114.0/24'],
    ['allow', '192.168.1.1:8080'],
  ]);
  it.each<[string, number, boolean, string | null]>([
    ['203.0.115.10', 443, true, null],
    ['203.0.114.9', 443, false, '203.0.114.0/24'],
    ['127.0.0.1', 80, false, null],
    ['169.254.169.254', 80, false, null],
    ['::ffff:169.254.169.254', 80, false, null],
    ['172.20.0.5', 443, true, '172.20.0.5'],
    ['172.20.0.6', 443, false, null],
    ['10.2.3.4', 443, true, '10.0.0.0/8'],
    ['10.1.3.4', 443, false, '10.1.0.0/16'],
    ['::ffff:10.2.3.4', 443, true, '10.0.0.0/8'],
    ['192.168.1.1', 8080, true, '192.168.1.1:8080'],
    ['192.168.1.1', 80, false, null],
    ['fe80::1', 80, false, null],
  ])('%s:%i → %s by %s', (addr, port, allowed, rule) => {
    const v = decideAddress(r, parseIp(addr)!, port);
    expect(v.allowed).toBe(allowed);
    expect(v.rule).toBe(rule);
  });

  it('names the class of a refused address', () => {
    expect(decideAddress([], parseIp('169.254.169.254')!, 80).reason).toMatch(/metadata/);
  });
});

describe('helpers', () => {
  it.each<[string, number, { host: string; port: number } | null]>([
    ['a.test', 80, { host: 'a.test', port: 80 }],
    ['A.test:8080', 80, { host: 'a.test', port: 8080 }],
    ['[::1]:443', 80, { host: '::1', port: 443 }],
    ['a.test:0', 80, null],
    ['a:b:c', 80, null],
  ])('splitHostPort(%s)', (a, d, out) => {
    expect(splitHostPort(a, d)).toEqual(out);
  });
  it('suggests rules', () => {
    expect(suggestedRule('Api.Test.')).toBe('api.test');
    expect(suggestedRule('::1')).toBe('[::1]');
  });
});

describe('forcedDenial', () => {
  const forced = rules([['deny', '*.paste.test'], ['deny', 'paste.test'], ['deny', '10.66.0.0/16']]);
  it.each<[string, number, string | undefined, string | null]>([
    ['x.paste.test', 443, undefined, '*.paste.test'],
    ['paste.test', 443, undefined, 'paste.test'],
    ['ok.test', 443, undefined, null],
    ['ok.test', 443, '10.66.1.1', '10.66.0.0/16'],
    ['10.66.2.2', 80, undefined, '10.66.0.0/16'],
  ])('%s:%i (address %s) → %s', (host, port, addr, rule) => {
    const v = forcedDenial(forced, host, port, addr ? parseIp(addr)! : undefined);
    expect(v?.rule ?? null).toBe(rule);
    if (v) expect(v.allowed).toBe(false);
  });
});
