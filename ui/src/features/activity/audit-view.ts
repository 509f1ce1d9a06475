/** The activity view's reading of audit records, as pure functions: outcome, summary, filters, merging a live stream. */
import type { AuditRecord } from '../../core';

export type Outcome = 'ok' | 'refused' | 'denied' | 'flagged' | 'stopped' | 'warning';

export interface Described {
  outcome: Outcome;
  /** One line: what happened, in words. */
  summary: string;
}

type Details = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function violationRules(d: Details): string {
  const v = Array.isArray(d.violations) ? (d.violations as { rule?: unknown }[]) : [];
  return v.map((x) => str(x.rule)).filter(Boolean).join(', ');
}

function secretsList(d: Details): string {
  const l = Array.isArray(d.secrets) ? (d.secrets as { name?: unknown; mode?: unknown }[]) : [];
  return l.map((x) => `${str(x.name)} (${str(x.mode)})`).join(', ') || 'none';
}

/** Outcome and summary for one record. Never shows a secret value: records hold none, and we print names only. */
export function describeRecord(r: Pick<AuditRecord, 'action' | 'details' | 'sandbox'>): Described {
  const d = r.details ?? {};
  switch (r.action) {
    case 'paddockd.start':
      return { outcome: 'ok', summary: `paddockd started${d.version ? ` (version ${str(d.version)})` : ''}` };
    case 'paddockd.stop':
      return { outcome: 'ok', summary: 'paddockd stopped' };
    case 'sandbox.create':
      return { outcome: 'ok', summary: `created: ${[str(d.agent), d.isolation ? `${str(d.isolation)} isolation` : '', d.network ? `network ${str(d.network)}` : '', str(d.workspace)].filter(Boolean).join(' · ')}` };
    case 'sandbox.start':
      return { outcome: 'ok', summary: 'started' };
    case 'sandbox.stop':
      return { outcome: 'ok', summary: 'stopped' };
    case 'sandbox.remove':
      return { outcome: 'ok', summary: 'removed' };
    case 'sandbox.restart-agent':
      return { outcome: 'ok', summary: 'agent restarted' };
    case 'sandbox.update': {
      const c = (d.change ?? {}) as Details;
      const parts = Object.entries(c).map(([k, v]) => `${k} → ${Array.isArray(v) ? (v.length ? v.map(str).join(', ') : 'none') : k === 'secrets' ? 'changed' : str(v)}`);
      return { outcome: 'ok', summary: `settings: ${parts.join('; ') || 'no change'}` };
    }
    case 'sandbox.exec':
      return { outcome: 'ok', summary: `ran ${str(d.cmd) || 'a command'}` };
    case 'terminal.attach':
      return { outcome: 'ok', summary: `terminal opened (${str(d.session) || 'agent'})` };
    case 'terminal.detach':
      return { outcome: 'ok', summary: `terminal closed (${str(d.session) || 'agent'})` };
    case 'network.summary': {
      const denied = num(d.denied);
      return {
        outcome: denied > 0 ? 'denied' : 'ok',
        summary: `${str(d.host)}: ${num(d.allowed)} allowed, ${denied} denied${d.bytes ? `, ${num(d.bytes)} bytes` : ''}`,
      };
    }
    case 'secret.set':
      return { outcome: 'ok', summary: `secret ${str(d.name)} stored (${str(d.scope)})` };
    case 'secret.remove':
      return { outcome: 'ok', summary: `secret ${str(d.name)} deleted (${str(d.scope)})` };
    case 'secret.attach':
      return { outcome: 'ok', summary: `secrets attached: ${secretsList(d)}` };
    case 'secret.use':
      return { outcome: 'ok', summary: `secret ${str(d.secret)} handed in (${str(d.mode)})` };
    case 'policy.refused':
      return { outcome: 'refused', summary: `${str(d.op) || 'request'} refused by ${violationRules(d) || 'policy'}` };
    case 'policy.changed':
      return { outcome: 'ok', summary: 'policy files changed' };
    case 'policy.violation': {
      const o = str(d.outcome);
      return { outcome: o === 'stopped' ? 'stopped' : o === 'flagged' ? 'flagged' : 'warning', summary: `${o || 'flagged'}: breaks ${violationRules(d) || 'the policy'}` };
    }
    default:
      if (r.action.startsWith('audit.')) return { outcome: 'warning', summary: `audit log: ${r.action.slice(6).replace(/-/g, ' ')}` };
      return { outcome: 'ok', summary: r.action };
  }
}

export interface ClientFilter {
  actor: string;
  /** Free text matched against action, sandbox and summary. */
  text: string;
  outcome: 'any' | 'problems';
}

export function matchesClient(r: AuditRecord, f: ClientFilter): boolean {
  if (f.actor && r.actor !== f.actor) return false;
  const d = describeRecord(r);
  if (f.outcome === 'problems' && d.outcome === 'ok') return false;
  const t = f.text.trim().toLowerCase();
  if (t && ![r.action, r.sandbox ?? '', d.summary].some((x) => x.toLowerCase().includes(t))) return false;
  return true;
}

/** New records into the list: newest first, each seq once, at most `cap` kept. */
export function mergeRecords(list: AuditRecord[], incoming: AuditRecord[], cap: number): AuditRecord[] {
  if (!incoming.length) return list;
  const bySeq = new Map(list.map((r) => [r.seq, r]));
  for (const r of incoming) bySeq.set(r.seq, r);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, cap);
}

/** Action families for the filter (docs/audit.md): the server matches a family by prefix. */
export const ACTION_FAMILIES = ['sandbox', 'terminal', 'network', 'secret', 'policy', 'paddockd', 'audit'] as const;

/** "Since" choices, sent as durations the server understands. */
export const SINCE_CHOICES: { value: string; label: string }[] = [
  { value: '', label: 'Any time' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
];

/** Milliseconds of a `since` duration (same units the server accepts), or null for "any time". */
export function sinceMs(since: string): number | null {
  const m = /^(\d+)([smhdw])$/.exec(since);
  if (!m) return null;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
