/**
 * Egress rules: parsing, matching and address classification. Pure (no node:*): paddockd uses it
 * to validate what users type, and the egress proxy (images/egress) runs the very same code to
 * decide every request.
 *
 * A request passes two gates:
 *  1. the name gate — the host the client asked for (a name or an IP literal) must be allowed by
 *     the most specific matching rule (mode `open` allows names no rule denies);
 *  2. the address gate — every address the proxy resolved for that name, and the one it connects
 *     to, is checked against CIDR/IP rules; without a rule, loopback, private, CGNAT, link-local
 *     (cloud metadata), multicast and reserved addresses are refused. This is what defeats DNS
 *     rebinding: an allowed name that resolves to 169.254.169.254 is still refused.
 */
import { ErrorCode, PaddockError } from './errors.js';

export const RuleAction = { Allow: 'allow', Deny: 'deny' } as const;
export type RuleAction = (typeof RuleAction)[keyof typeof RuleAction];

export const EgressMode = { None: 'none', Allowlist: 'allowlist', Open: 'open' } as const;
export type EgressMode = (typeof EgressMode)[keyof typeof EgressMode];

/** A rule as stored and pushed to the proxy. */
export interface EgressRule {
  action: RuleAction;
  rule: string;
}

export type RuleTarget =
  | { kind: 'host'; host: string }
  | { kind: 'wildcard'; suffix: string } // `*.a.test` → suffix `a.test`; matches strict subdomains only
  | { kind: 'cidr'; net: IpAddress; prefix: number; literal: boolean }; // literal: written as a bare IP

export interface CompiledRule {
  action: RuleAction;
  /** The canonical text of the rule (lowercase, no trailing dot). */
  raw: string;
  target: RuleTarget;
  port: number | null;
}

export interface IpAddress {
  family: 4 | 6;
  bytes: number[]; // 4 or 16 octets
}

const MAX_HOSTNAME_LENGTH = 253; // DNS limit on a full name
const MAX_LABEL_LENGTH = 63; // DNS limit on one label
const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

function bad(message: string): PaddockError {
  return new PaddockError(ErrorCode.BadInput, message);
}

// ---- IP addresses ------------------------------------------------------------------------------

export function parseIPv4(s: string): IpAddress | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    if (p.length > 1 && p.startsWith('0')) return null; // no octal-looking forms: 010.0.0.1 is ambiguous
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return { family: 4, bytes };
}

export function parseIPv6(input: string): IpAddress | null {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (!v4) return null;
    tail = v4.bytes;
    s = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !rest) return null;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    all = head;
  }
  if (all.length !== 8) return null;
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 255);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return { family: 6, bytes };
}

export function parseIp(s: string): IpAddress | null {
  return parseIPv4(s) ?? parseIPv6(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s);
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** True when the first `prefix` bits of `ip` equal those of `net` (same family only). */
export function inPrefix(ip: IpAddress, net: IpAddress, prefix: number): boolean {
  if (ip.family !== net.family) return false;
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 255 : (0xff << (8 - bits)) & 255;
    if ((ip.bytes[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

/** An IPv4 address carried inside IPv6 (v4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d), or null. */
export function embeddedIPv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const b = ip.bytes;
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.slice(4, 12).every((x) => x === 0);
  return mapped || nat64 ? { family: 4, bytes: b.slice(12, 16) } : null;
}

export const AddressClass = {
  Public: 'public',
  Loopback: 'loopback',
  Private: 'private',
  Cgnat: 'cgnat',
  LinkLocal: 'link-local',
  Metadata: 'metadata',
  Multicast: 'multicast',
  Unspecified: 'unspecified',
  Reserved: 'reserved',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

interface SpecialRange {
  cidr: string;
  cls: AddressClass;
}

/** Ranges refused unless a rule names them; most specific listed first where they nest. */
const SPECIAL_RANGES: readonly SpecialRange[] = [
  { cidr: '169.254.169.254/32', cls: AddressClass.Metadata }, // AWS/GCP/Azure/OpenStack metadata
  { cidr: '0.0.0.0/8', cls: AddressClass.Unspecified },
  { cidr: '10.0.0.0/8', cls: AddressClass.Private },
  { cidr: '100.64.0.0/10', cls: AddressClass.Cgnat },
  { cidr: '127.0.0.0/8', cls: AddressClass.Loopback },
  { cidr: '169.254.0.0/16', cls: AddressClass.LinkLocal },
  { cidr: '172.16.0.0/12', cls: AddressClass.Private },
  { cidr: '192.0.0.0/24', cls: AddressClass.Reserved }, // IETF protocol assignments
  { cidr: '192.0.2.0/24', cls: AddressClass.Reserved }, // TEST-NET-1
  { cidr: '192.168.0.0/16', cls: AddressClass.Private },
  { cidr: '198.18.0.0/15', cls: AddressClass.Reserved }, // benchmarking
  { cidr: '198.51.100.0/24', cls: AddressClass.Reserved }, // TEST-NET-2
  { cidr: '203.0.113.0/24', cls: AddressClass.Reserved }, // TEST-NET-3
  { cidr: '224.0.0.0/4', cls: AddressClass.Multicast },
  { cidr: '240.0.0.0/4', cls: AddressClass.Reserved }, // includes 255.255.255.255 broadcast
  { cidr: 'fd00:ec2::254/128', cls: AddressClass.Metadata }, // AWS IMDS over IPv6
  { cidr: '::/128', cls: AddressClass.Unspecified },
  { cidr: '::1/128', cls: AddressClass.Loopback },
  { cidr: '100::/64', cls: AddressClass.Reserved }, // discard prefix
  { cidr: '2001:db8::/32', cls: AddressClass.Reserved }, // documentation
  { cidr: 'fc00::/7', cls: AddressClass.Private }, // unique local addresses
  { cidr: 'fe80::/10', cls: AddressClass.LinkLocal },
  { cidr: 'fec0::/10', cls: AddressClass.Private }, // deprecated site-local
  { cidr: 'ff00::/8', cls: AddressClass.Multicast },
];

const COMPILED_SPECIAL = SPECIAL_RANGES.map((r) => ({ ...parseCidrText(r.cidr), cls: r.cls }));

function parseCidrText(text: string): { net: IpAddress; prefix: number } {
  const [ip, len] = text.split('/');
  const net = parseIp(ip ?? '');
  if (!net) throw new Error(`bad built-in CIDR ${text}`);
  return { net, prefix: Number(len) };
}

export function classifyAddress(ip: IpAddress): AddressClass {
  const v4 = embeddedIPv4(ip);
  if (v4) return classifyAddress(v4);
  for (const r of COMPILED_SPECIAL) if (inPrefix(ip, r.net, r.prefix)) return r.cls;
  return AddressClass.Public;
}

// ---- rules -----------------------------------------------------------------------------------

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

function validateHostname(host: string, original: string): void {
  if (host.length === 0) throw bad(`Rule "${original}" has no host name.`);
  if (host.length > MAX_HOSTNAME_LENGTH) throw bad(`Rule "${original}": a host name is at most ${MAX_HOSTNAME_LENGTH} characters.`);
  if (/[^\x21-\x7e]/.test(host)) {
    throw bad(`Rule "${original}" contains characters a host name cannot have. Write international names in punycode (xn--…).`);
  }
  if (host.includes('*')) {
    throw bad(`Rule "${original}": a wildcard is only allowed as the first label, e.g. *.example.com.`);
  }
  for (const label of host.split('.')) {
    if (label.length === 0) throw bad(`Rule "${original}" has an empty label (two dots in a row?).`);
    if (label.length > MAX_LABEL_LENGTH) throw bad(`Rule "${original}": a host name label is at most ${MAX_LABEL_LENGTH} characters.`);
    if (!LABEL_RE.test(label)) {
      throw bad(`Rule "${original}": "${label}" is not a valid host name label (letters, digits, - and _, not starting or ending with -).`);
    }
  }
}

function parsePort(text: string, original: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(`Rule "${original}": port "${text}" is not a number.`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(`Rule "${original}": port ${port} is outside 1–65535.`);
  return port;
}

/**
 * Parse one rule: `host`, `host:port`, `*.host`, `*.host:port`, an IP (`10.1.2.3`, `[::1]:443`)
 * or a CIDR (`10.0.0.0/8`, `fd00::/8`). Throws a PaddockError(bad_input) that says what is wrong.
 */
export function parseRule(text: string, action: RuleAction = RuleAction.Allow): CompiledRule {
  const original = text;
  const s = text.trim().toLowerCase();
  if (s === '') throw bad('A rule cannot be empty. Use a host (api.example.com), *.example.com, host:port, an IP or a CIDR (10.0.0.0/8).');
  if (s === '*' || s === '*.*') {
    throw bad(`Rule "${original}" would match every host. Use network mode "open" instead (paddock network mode <sandbox> open).`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(s)) {
    throw bad(`Rule "${original}" looks like a URL. Give just the host, e.g. ${s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split('/')[0]}.`);
  }
  if (s.includes('/')) {
    const [ipText, lenText, ...more] = s.split('/');
    const net = parseIp(ipText ?? '');
    if (!net || more.length) throw bad(`Rule "${original}" is not a valid CIDR. Write it like 10.0.0.0/8 or fd00::/8.`);
    const max = net.family === 4 ? 32 : 128;
    if (/^\d+:\d+$/.test(lenText ?? '')) throw bad(`Rule "${original}": CIDR rules cannot carry a port; use an IP rule (10.1.2.3:443) or drop the port.`);
    if (!/^\d{1,3}$/.test(lenText ?? '') || Number(lenText) > max) {
      throw bad(`Rule "${original}": the prefix length must be a number from 0 to ${max}.`);
    }
    const prefix = Number(lenText);
    if (prefix === 0) throw bad(`Rule "${original}" would match every address. Use network mode "open" instead.`);
    return { action, raw: `${formatIp(net)}/${prefix}`, target: { kind: 'cidr', net, prefix, literal: false }, port: null };
  }
  // [v6] or [v6]:port
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    const net = m ? parseIPv6(m[1] ?? '') : null;
    if (!m || !net) throw bad(`Rule "${original}" is not a valid IPv6 address. Write it like [2001:db8::1] or [2001:db8::1]:443.`);
    const port = m[2] !== undefined ? parsePort(m[2], original) : null;
    const raw = `[${formatIp(net)}]${port ? `:${port}` : ''}`;
    return { action, raw, target: { kind: 'cidr', net, prefix: 128, literal: true }, port };
  }
  const v6 = parseIPv6(s);
  if (v6) return { action, raw: formatIp(v6), target: { kind: 'cidr', net: v6, prefix: 128, literal: true }, port: null };

  let hostPart = s;
  let port: number | null = null;
  const colon = s.lastIndexOf(':');
  if (colon >= 0) {
    hostPart = s.slice(0, colon);
    port = parsePort(s.slice(colon + 1), original);
  }
  hostPart = hostPart.replace(/\.$/, '');
  const portSuffix = port ? `:${port}` : '';
  const v4 = parseIPv4(hostPart);
  if (v4) return { action, raw: `${formatIp(v4)}${portSuffix}`, target: { kind: 'cidr', net: v4, prefix: 32, literal: true }, port };
  if (/^\d+(\.\d+)*$/.test(hostPart)) throw bad(`Rule "${original}" is not a valid IPv4 address.`);
  if (hostPart.startsWith('*.')) {
    const suffix = hostPart.slice(2);
    validateHostname(suffix, original);
    return { action, raw: `*.${suffix}${portSuffix}`, target: { kind: 'wildcard', suffix }, port };
  }
  validateHostname(hostPart, original);
  return { action, raw: `${hostPart}${portSuffix}`, target: { kind: 'host', host: hostPart }, port };
}

/** Parse a list of rules; the first bad one throws. */
export function compileRules(rules: readonly EgressRule[]): CompiledRule[] {
  return rules.map((r) => parseRule(r.rule, r.action));
}

/** The canonical text of a rule, for de-duplication and removal (`API.Example.com.` → `api.example.com`). */
export function canonicalRule(text: string): string {
  return parseRule(text).raw;
}

// ---- decisions --------------------------------------------------------------------------------

export interface Verdict {
  allowed: boolean;
  /** The rule that decided, or null when a default decided. */
  rule: string | null;
  /** One human sentence: why. */
  reason: string;
}

// Specificity: an exact host beats any wildcard; a longer wildcard suffix beats a shorter one; a
// rule with a port beats the same rule without. On a tie, deny wins.
const EXACT_HOST_SCORE = 1000; // above any wildcard (at most 127 labels × 2)
const PORT_BONUS = 1;

function nameScore(r: CompiledRule, host: string, port: number): number | null {
  if (r.port !== null && r.port !== port) return null;
  const bonus = r.port !== null ? PORT_BONUS : 0;
  const t = r.target;
  if (t.kind === 'host') return t.host === host ? EXACT_HOST_SCORE + bonus : null;
  if (t.kind === 'wildcard') return host.endsWith(`.${t.suffix}`) ? t.suffix.split('.').length * 2 + bonus : null;
  return null;
}

function addressScore(r: CompiledRule, ip: IpAddress, port: number): number | null {
  if (r.target.kind !== 'cidr') return null;
  if (r.port !== null && r.port !== port) return null;
  const { net, prefix } = r.target;
  const v4 = embeddedIPv4(ip);
  const candidate = ip.family === net.family ? ip : v4 && net.family === 4 ? v4 : null;
  if (!candidate || !inPrefix(candidate, net, prefix)) return null;
  return prefix * 2 + (r.port !== null ? PORT_BONUS : 0);
}

function mostSpecific(rules: readonly CompiledRule[], score: (r: CompiledRule) => number | null): CompiledRule | null {
  let best: CompiledRule | null = null;
  let bestScore = -1;
  for (const r of rules) {
    const sc = score(r);
    if (sc === null) continue;
    if (sc > bestScore || (sc === bestScore && r.action === RuleAction.Deny)) {
      best = r;
      bestScore = sc;
    }
  }
  return best;
}

/** The name gate: may this sandbox ask for `host:port` at all? `host` may be a name or an IP literal. */
export function decideName(rules: readonly CompiledRule[], hostIn: string, port: number, mode: EgressMode): Verdict {
  if (mode === EgressMode.None) return { allowed: false, rule: null, reason: 'the sandbox is in network mode "none"' };
  const host = normalizeHost(hostIn);
  const ip = parseIp(host);
  const best = ip ? mostSpecific(rules, (r) => addressScore(r, ip, port)) : mostSpecific(rules, (r) => nameScore(r, host, port));
  if (best) {
    return best.action === RuleAction.Allow
      ? { allowed: true, rule: best.raw, reason: `allowed by rule ${best.raw}` }
      : { allowed: false, rule: best.raw, reason: `denied by rule ${best.raw}` };
  }
  if (mode === EgressMode.Open) return { allowed: true, rule: null, reason: 'network mode "open"' };
  return ip
    ? { allowed: false, rule: null, reason: `raw IP address ${host} is not in the allowlist (requests by address need an IP or CIDR rule)` }
    : { allowed: false, rule: null, reason: `${host} is not in the allowlist` };
}

/** The address gate: may the proxy connect to `address` (one it resolved itself) on `port`? */
export function decideAddress(rules: readonly CompiledRule[], address: IpAddress, port: number): Verdict {
  const best = mostSpecific(rules, (r) => addressScore(r, address, port));
  const text = formatIp(address);
  if (best) {
    return best.action === RuleAction.Allow
      ? { allowed: true, rule: best.raw, reason: `address ${text} allowed by rule ${best.raw}` }
      : { allowed: false, rule: best.raw, reason: `address ${text} denied by rule ${best.raw}` };
  }
  const cls = classifyAddress(address);
  if (cls === AddressClass.Public) return { allowed: true, rule: null, reason: `public address ${text}` };
  return { allowed: false, rule: null, reason: `${text} is a ${cls} address (refused unless a CIDR rule names it)` };
}

/**
 * Forced denies (an organization policy's `denyHosts`) win over every allow rule, however
 * specific, and in every mode. Returns the refusal, or null when none matches the name or address.
 */
export function forcedDenial(forced: readonly CompiledRule[], hostIn: string, port: number, address?: IpAddress): Verdict | null {
  const host = normalizeHost(hostIn);
  const ip = parseIp(host);
  for (const r of forced) {
    const hit = ip ? addressScore(r, ip, port) : nameScore(r, host, port);
    const hitAddress = address ? addressScore(r, address, port) : null;
    if (hit !== null || hitAddress !== null) return { allowed: false, rule: r.raw, reason: `denied by policy rule ${r.raw}` };
  }
  return null;
}

/** `Host` header / authority → host and port, for the HTTP forward path. */
export function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } | null {
  const a = authority.trim();
  if (a.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(a);
    if (!m) return null;
    const port = m[2] ? Number(m[2]) : defaultPort;
    return port >= 1 && port <= 65535 ? { host: m[1]!.toLowerCase(), port } : null;
  }
  const parts = a.split(':');
  if (parts.length > 2) return null;
  const port = parts[1] !== undefined ? Number(parts[1]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !parts[0]) return null;
  return { host: normalizeHost(parts[0]), port };
}

/** The rule a user would add to allow `host` (for the 403 body and the UI). */
export function suggestedRule(host: string): string {
  const h = normalizeHost(host);
  const ip = parseIp(h);
  if (!ip) return h;
  return ip.family === 6 ? `[${formatIp(ip)}]` : formatIp(ip);
}
