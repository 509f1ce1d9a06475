/**
 * What paddockd and the egress proxy say to each other over the proxy's control port. Types and
 * constants only: the proxy is shipped without npm dependencies, so no zod here — the proxy checks
 * its input with `checkSandboxConfig` below, paddockd builds these objects itself.
 */
import type { EgressMode, EgressRule } from '../../core/egress-rules.js';

export const PROXY_PORT = 3128; // the conventional HTTP proxy port; agents get HTTP(S)_PROXY=http://<proxy>:3128
export const CREDENTIAL_PORT = 3129; // plain-HTTP reverse proxy that adds credentials: http://<proxy>:3129/<id>/…
export const CONTROL_PORT = 3130; // paddockd only: bound to the proxy's address on its outbound network, token required

/** A credential the proxy adds for one exact host (the secrets feature pushes these). */
export interface CredentialRule {
  /** Path prefix on the credential port: http://<proxy>:3129/<id>/… → https://<host>/… */
  id: string;
  host: string;
  port?: number;
  header: string;
  value: string;
}

export interface ProxySandboxConfig {
  name: string;
  /** The sandbox's own /28; requests are attributed by source address inside it. */
  subnet: string;
  /** The proxy's address on that network; a request must arrive on it. */
  proxyAddress: string;
  mode: EgressMode;
  rules: EgressRule[];
  credentials: CredentialRule[];
  /** Policy denies (host, *.host, IP, CIDR) that win over every rule and every mode. */
  forcedDeny?: string[];
}

export const DecisionKind = { Connect: 'connect', Http: 'http', Credential: 'credential' } as const;
export type DecisionKind = (typeof DecisionKind)[keyof typeof DecisionKind];

export interface DecisionRecord {
  seq: number;
  time: string;
  sandbox: string;
  kind: DecisionKind;
  method: string;
  host: string;
  port: number;
  /** The address the proxy connected to (or refused), when it got that far. */
  address: string | null;
  allowed: boolean;
  rule: string | null;
  reason: string;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Upstream HTTP status for forwarded requests. */
  status?: number;
}

export interface HostCounters {
  allowed: number;
  denied: number;
  bytes: number;
}

export interface SandboxCounters {
  allowed: number;
  denied: number;
  bytesUp: number;
  bytesDown: number;
  hosts: Record<string, HostCounters>;
}

export interface ProxyHealth {
  /** Changes on every proxy start; paddockd re-pushes every sandbox when it sees a new one. */
  bootId: string;
  sandboxes: string[];
  testHooks: boolean;
}

export const CREDENTIAL_ID_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const CIDR28_RE = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/** Structural check of a pushed config (paddockd already validated the rules themselves). */
export function checkSandboxConfig(v: unknown): ProxySandboxConfig | string {
  const c = v as Partial<ProxySandboxConfig> | null;
  if (!c || typeof c !== 'object') return 'body must be an object';
  if (typeof c.name !== 'string' || !c.name) return 'name is required';
  if (typeof c.subnet !== 'string' || !CIDR28_RE.test(c.subnet)) return 'subnet must be an IPv4 CIDR';
  if (typeof c.proxyAddress !== 'string') return 'proxyAddress is required';
  if (c.mode !== 'none' && c.mode !== 'allowlist' && c.mode !== 'open') return 'mode must be none, allowlist or open';
  if (!Array.isArray(c.rules) || !c.rules.every((r) => r && (r.action === 'allow' || r.action === 'deny') && typeof r.rule === 'string')) {
    return 'rules must be [{action, rule}]';
  }
  const creds = c.credentials ?? [];
  if (!Array.isArray(creds)) return 'credentials must be a list';
  for (const cr of creds) {
    if (!cr || !CREDENTIAL_ID_RE.test(String(cr.id))) return 'credential id must be lowercase letters, digits, _ and -';
    if (typeof cr.host !== 'string' || !cr.host) return 'credential host is required';
    if (!HEADER_NAME_RE.test(String(cr.header))) return 'credential header must be a valid header name';
    if (typeof cr.value !== 'string' || /[\r\n]/.test(cr.value)) return 'credential value must be a single-line string';
  }
  const forcedDeny = c.forcedDeny ?? [];
  if (!Array.isArray(forcedDeny) || !forcedDeny.every((r) => typeof r === 'string')) return 'forcedDeny must be a list of rules';
  return { name: c.name, subnet: c.subnet, proxyAddress: c.proxyAddress, mode: c.mode, rules: c.rules, credentials: creds, forcedDeny };
}
