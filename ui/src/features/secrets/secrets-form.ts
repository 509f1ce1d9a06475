/**
 * The secrets forms' rules as pure functions: the store form (name, scope, write-only value)
 * and the rows of secrets attached to a sandbox (launch form and settings drawer).
 */
import {
  defaultModeFor,
  MAX_SECRET_VALUE_BYTES,
  parseScope,
  providerForName,
  SecretAttachment,
  SecretAttachments,
  SECRET_NAME_RE,
  utf8Length,
  type NetworkMode,
  type ProxyProvider,
  type SecretInfo,
  type SecretMode,
} from '../../core';

// ---- the store form ---------------------------------------------------------------------------

export type ScopeKind = 'global' | 'agent' | 'sandbox';

export interface StoreValues {
  name: string;
  scopeKind: ScopeKind;
  /** Agent or sandbox name for the narrower scopes. */
  scopeTarget: string;
  /** Write-only: sent once, cleared after a successful save, never read back from paddockd. */
  value: string;
}
export type StoreErrors = Partial<Record<keyof StoreValues, string>>;

export const emptyStore = (): StoreValues => ({ name: '', scopeKind: 'global', scopeTarget: '', value: '' });

export function scopeOf(v: Pick<StoreValues, 'scopeKind' | 'scopeTarget'>): string {
  return v.scopeKind === 'global' ? 'global' : `${v.scopeKind}:${v.scopeTarget.trim()}`;
}

export function validateStore(v: StoreValues): { errors: StoreErrors; request: { name: string; scope: string; value: string } | null } {
  const errors: StoreErrors = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the secret a name, e.g. ANTHROPIC_API_KEY.';
  else if (/^[a-z0-9_]+$/.test(name) && SECRET_NAME_RE.test(name.toUpperCase())) errors.name = `Names are upper-case: use ${name.toUpperCase()}.`;
  else if (!SECRET_NAME_RE.test(name)) errors.name = 'Use upper-case letters, digits and _, not starting with a digit, at most 128 characters (e.g. NPM_TOKEN).';
  if (v.scopeKind !== 'global') {
    if (!v.scopeTarget.trim()) errors.scopeTarget = v.scopeKind === 'agent' ? 'Pick the agent this secret is for.' : 'Pick the sandbox this secret is for.';
    else if (!parseScope(scopeOf(v))) errors.scopeTarget = v.scopeKind === 'agent' ? 'Not an agent name (lower-case letters, digits and -).' : 'Not a sandbox name (letters, digits, _ . -).';
  }
  if (v.value === '') errors.value = 'Paste the value. It is stored encrypted and never shown again.';
  else if (v.value.includes('\0')) errors.value = 'The value contains a NUL byte; secrets are text.';
  else if (utf8Length(v.value) > MAX_SECRET_VALUE_BYTES) errors.value = `The value is ${utf8Length(v.value)} bytes; secrets are at most ${MAX_SECRET_VALUE_BYTES / 1024} KiB.`;
  if (Object.keys(errors).length) return { errors, request: null };
  return { errors, request: { name, scope: scopeOf(v), value: v.value } };
}

/** Words for a scope in lists: "every sandbox", "claude sandboxes", "sandbox app". */
export function describeScope(scope: string): string {
  const p = parseScope(scope);
  if (!p) return scope;
  if (p.kind === 'global') return 'every sandbox';
  return p.kind === 'agent' ? `${p.target} sandboxes` : `sandbox ${p.target}`;
}

// ---- attachments ----------------------------------------------------------------------------

/** `preset`: the name implies a provider; `custom`: a generic header-for-host rule. */
export type ProxyTarget = ProxyProvider | 'preset' | 'custom';

export interface AttachmentRow {
  name: string;
  mode: SecretMode;
  /** Proxy mode only. */
  target: ProxyTarget;
  host: string;
  header: string;
  prefix: string;
}

export function newRow(name: string): AttachmentRow {
  return { name, mode: defaultModeFor(name), target: providerForName(name) ? 'preset' : 'custom', host: '', header: '', prefix: '' };
}

export function rowFrom(a: SecretAttachment): AttachmentRow {
  const target: ProxyTarget = a.provider ?? (a.host ? 'custom' : providerForName(a.name) ? 'preset' : 'custom');
  return { name: a.name, mode: a.mode, target, host: a.host ?? '', header: a.header ?? '', prefix: a.prefix ?? '' };
}

/** The attachment paddockd gets for one row (not yet validated). */
export function attachmentOf(r: AttachmentRow): SecretAttachment {
  if (r.mode !== 'proxy') return { name: r.name, mode: r.mode };
  if (r.target === 'preset') return { name: r.name, mode: 'proxy' };
  if (r.target === 'custom') {
    const a: SecretAttachment = { name: r.name, mode: 'proxy', host: r.host.trim().toLowerCase() };
    if (r.header.trim()) a.header = r.header.trim();
    if (r.prefix !== '') a.prefix = r.prefix;
    return a;
  }
  return { name: r.name, mode: 'proxy', provider: r.target };
}

/** Secret names a sandbox of `agent` (named `sandbox`, when known) can read: any scope that reaches it. */
export function availableSecrets(secrets: SecretInfo[], agent: string, sandbox?: string): string[] {
  const names = secrets
    .filter((s) => s.scope === 'global' || s.scope === `agent:${agent}` || (sandbox !== undefined && s.scope === `sandbox:${sandbox}`))
    .map((s) => s.name);
  return [...new Set(names)].sort();
}

/** Per-row messages (by index) and one for the list, or the attachments to send. */
export function validateRows(rows: AttachmentRow[], network: NetworkMode): { rowErrors: Record<number, string>; listError: string | null; attachments: SecretAttachment[] | null } {
  const rowErrors: Record<number, string> = {};
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (!r.name) rowErrors[i] = 'Pick a secret.';
    else if (seen.has(r.name)) rowErrors[i] = `${r.name} is attached twice; remove one.`;
    else if (r.mode === 'proxy' && network === 'none') rowErrors[i] = 'Proxy mode needs a network: choose Allowlist above, or attach it as a file.';
    else if (r.mode === 'proxy' && r.target === 'custom' && !r.host.trim()) rowErrors[i] = 'Give the API host the proxy adds the key for (e.g. api.example.test), or pick a provider.';
    else {
      const parsed = SecretAttachment.safeParse(attachmentOf(r));
      if (!parsed.success) rowErrors[i] = sentence(parsed.error.issues[0]?.message ?? 'This attachment is not valid.');
    }
    seen.add(r.name);
  });
  if (Object.keys(rowErrors).length) return { rowErrors, listError: null, attachments: null };
  const all = SecretAttachments.safeParse(rows.map(attachmentOf));
  if (!all.success) return { rowErrors, listError: sentence(all.error.issues[0]?.message ?? 'These attachments are not valid.'), attachments: null };
  return { rowErrors, listError: null, attachments: all.data };
}

/** Same attachments, whatever the order. */
export function sameAttachments(a: SecretAttachment[], b: SecretAttachment[]): boolean {
  const key = (l: SecretAttachment[]) => JSON.stringify([...l].sort((x, y) => x.name.localeCompare(y.name)).map((x) => [x.name, x.mode, x.provider ?? '', x.host ?? '', x.header ?? '', x.prefix ?? '']));
  return key(a) === key(b);
}

function sentence(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
