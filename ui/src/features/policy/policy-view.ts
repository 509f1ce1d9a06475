/** The policy page's shaping of GET /api/v1/policy, as pure functions. */
import type { PolicyView, SourcedValue } from '../../core';

/** What each rule does, in a line (docs/policy.md has the long version). */
export const RULE_HELP: Record<string, string> = {
  'agents.allow': 'Only these agents may run.',
  'images.allow': 'Sandbox images must match one of these patterns.',
  'workspaces.roots': 'Workspaces and extra mounts must be inside one of these folders.',
  'workspaces.forbid': 'Never these folders, nothing inside them, nor a folder containing them.',
  'isolation.allow': 'Isolation levels a sandbox may use.',
  'isolation.default': 'Used when a launch does not choose one.',
  'resources.max.cpus': 'Most CPUs a sandbox may have.',
  'resources.max.memory': 'Most memory a sandbox may have.',
  'resources.max.pids': 'Most processes a sandbox may run.',
  'resources.default.cpus': 'CPUs when a launch does not say.',
  'resources.default.memory': 'Memory when a launch does not say.',
  'resources.default.pids': 'Process limit when a launch does not say.',
  'network.default': 'Network mode when a launch does not say.',
  'network.allowOpen': 'Whether a sandbox may have unrestricted network access.',
  'network.denyHosts': 'Hosts and addresses no allowlist may reach.',
  'secrets.allowEnv': 'Whether secrets may be handed in as environment variables.',
  'sandboxes.maxConcurrent': 'How many sandboxes may run at once on this machine.',
  onViolation: 'What happens to running sandboxes a policy change breaks: stop them, or flag them here.',
};

export type SourceKind = 'org' | 'user' | 'built-in';

export interface RuleRow {
  rule: string;
  help: string;
  /** One entry per value (lists such as denyHosts collect entries from both files). */
  entries: { value: string; source: string; kind: SourceKind }[];
}

export function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.map(formatValue).join(', ') : '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function sourceKind(source: string, files: PolicyView['files']): SourceKind {
  if (files.org && source === files.org.path) return 'org';
  if (source === files.user.path) return 'user';
  return 'built-in';
}

/** Rules in the order paddockd lists them, values of repeated rules gathered under one row. */
export function ruleRows(view: Pick<PolicyView, 'rules' | 'files'>): RuleRow[] {
  const rows = new Map<string, RuleRow>();
  for (const r of view.rules as SourcedValue[]) {
    let row = rows.get(r.rule);
    if (!row) rows.set(r.rule, (row = { rule: r.rule, help: RULE_HELP[r.rule] ?? '', entries: [] }));
    row.entries.push({ value: formatValue(r.value), source: r.source, kind: sourceKind(r.source, view.files) });
  }
  return [...rows.values()];
}

/** True when no file sets anything: only Paddock's own safety rules (and the default onViolation) apply. */
export function onlyBuiltIn(view: Pick<PolicyView, 'rules' | 'files'>): boolean {
  return view.rules.every((r) => sourceKind(r.source, view.files) === 'built-in');
}

export function describeFileError(e: PolicyView['errors'][number]): string {
  const at = e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : '';
  return `${e.file}${at}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}
