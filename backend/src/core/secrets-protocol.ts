/**
 * Secrets in Paddock's protocol: names, scopes, injection modes and the REST bodies. Pure (no
 * Node). To be merged into protocol.ts: `CreateSandboxRequest.secrets` and
 * `UpdateSandboxRequest.secrets` are `z.array(SecretAttachment).max(MAX_ATTACHMENTS).optional()`.
 * Values only ever travel client → paddockd (PUT); no response schema has a value field.
 */
import { z } from 'zod';
import { AGENT_NAME_RE, SANDBOX_NAME_RE } from './names.js';

/**
 * Upper-case letters, digits and `_`, not starting with a digit: the same names work as an
 * environment variable (env mode) and as a file name under /run/secrets (file mode) without
 * quoting, and never contain `/` or `..`.
 */
export const SECRET_NAME_RE = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const SECRET_NAME_HINT = 'secret names use upper-case letters, digits and _, do not start with a digit, and are at most 128 characters (e.g. ANTHROPIC_API_KEY)';
export const MAX_SECRET_VALUE_BYTES = 64 * 1024; // API keys, tokens and a PEM key fit; the /run/secrets tmpfs is 1 MiB
export const MAX_ATTACHMENTS = 64; // more per sandbox is a mistake, and each is an env var or a file

export const SecretName = z.string().regex(SECRET_NAME_RE, SECRET_NAME_HINT);

/** `global`, `agent:<agent>` or `sandbox:<sandbox>`; the narrowest scope wins when a sandbox reads NAME. */
export type SecretScope = 'global' | `agent:${string}` | `sandbox:${string}`;
export const SCOPE_HINT = 'scopes are "global", "agent:<agent name>" or "sandbox:<sandbox name>"';

export function parseScope(s: string): { kind: 'global' } | { kind: 'agent' | 'sandbox'; target: string } | null {
  if (s === 'global') return { kind: 'global' };
  const i = s.indexOf(':');
  if (i < 0) return null;
  const kind = s.slice(0, i);
  const target = s.slice(i + 1);
  if (kind === 'agent' && AGENT_NAME_RE.test(target)) return { kind, target };
  if (kind === 'sandbox' && SANDBOX_NAME_RE.test(target)) return { kind, target };
  return null;
}

export const SecretScopeSchema = z
  .string()
  .refine((s) => parseScope(s) !== null, SCOPE_HINT)
  .transform((s) => s as SecretScope);

export const SecretMode = z.enum(['proxy', 'file', 'env']);
export type SecretMode = z.infer<typeof SecretMode>;

/** Providers with a proxy preset (header, env var, base-URL env var): see secrets/presets.ts. */
export const ProxyProvider = z.enum(['anthropic', 'openai', 'gemini']);
export type ProxyProvider = z.infer<typeof ProxyProvider>;

const HOST_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HEADER_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/; // an RFC 9110 token

/**
 * One secret attached to one sandbox. In proxy mode either `provider` (or a name that implies
 * one, e.g. ANTHROPIC_API_KEY) picks a preset, or `host` (+ optional `header`, `prefix`) is a
 * generic "header for host" rule. Names and modes only: never a value.
 */
export const SecretAttachment = z
  .object({
    name: SecretName,
    mode: SecretMode,
    provider: ProxyProvider.optional(),
    host: z.string().toLowerCase().regex(HOST_RE, 'host must be a DNS name such as api.example.com').optional(),
    header: z.string().regex(HEADER_RE, 'header must be an HTTP header name such as Authorization').optional(),
    prefix: z.string().max(64).regex(/^[\x20-\x7e]*$/, 'prefix must be printable ASCII').optional(),
  })
  .refine((a) => a.mode === 'proxy' || (a.provider === undefined && a.host === undefined && a.header === undefined && a.prefix === undefined), {
    message: 'provider, host, header and prefix only apply to proxy mode',
  })
  .refine((a) => !(a.provider && a.host), { message: 'give either a provider preset or a host rule, not both' });
export type SecretAttachment = z.infer<typeof SecretAttachment>;

export const SecretAttachments = z
  .array(SecretAttachment)
  .max(MAX_ATTACHMENTS)
  .refine((list) => new Set(list.map((a) => a.name)).size === list.length, { message: 'each secret can be attached once per sandbox' });

/** Name → provider preset, for names that say which API they are for. */
const PROVIDER_BY_NAME: Readonly<Record<string, ProxyProvider>> = {
  ANTHROPIC_API_KEY: 'anthropic',
  OPENAI_API_KEY: 'openai',
  GEMINI_API_KEY: 'gemini',
  GOOGLE_API_KEY: 'gemini',
};
export function providerForName(name: string): ProxyProvider | null {
  return PROVIDER_BY_NAME[name] ?? null;
}

/** Proxy when a preset knows the name (the agent never sees the key), otherwise a file. Env is never a default. */
export function defaultModeFor(name: string): SecretMode {
  return providerForName(name) ? 'proxy' : 'file';
}

/**
 * `--secret` values: `NAME`, `NAME:file`, `NAME:env`, `NAME:proxy`, `NAME:proxy=<provider>` or
 * `NAME:proxy=<host>[,<header>[,<prefix>]]` (generic rule; header defaults to Authorization with
 * prefix "Bearer "). Throws a message for the user on bad input.
 */
export function parseSecretFlag(flag: string): SecretAttachment {
  const colon = flag.indexOf(':');
  const name = colon < 0 ? flag : flag.slice(0, colon);
  const rest = colon < 0 ? '' : flag.slice(colon + 1);
  if (!SECRET_NAME_RE.test(name)) throw new Error(`--secret ${flag}: ${SECRET_NAME_HINT}.`);
  if (rest === '') return { name, mode: defaultModeFor(name) };
  if (rest === 'file' || rest === 'env' || rest === 'proxy') return { name, mode: rest };
  if (rest.startsWith('proxy=')) {
    const arg = rest.slice('proxy='.length);
    const provider = ProxyProvider.safeParse(arg);
    if (provider.success) return { name, mode: 'proxy', provider: provider.data };
    const [host, header, ...prefixParts] = arg.split(',');
    const parsed = SecretAttachment.safeParse({
      name, mode: 'proxy', host, ...(header ? { header } : {}), ...(prefixParts.length ? { prefix: prefixParts.join(',') } : {}),
    });
    if (!parsed.success) throw new Error(`--secret ${flag}: ${parsed.error.issues[0]?.message ?? 'bad proxy rule'}.`);
    return parsed.data;
  }
  throw new Error(`--secret ${flag}: the mode after ":" is proxy, file or env (e.g. ${name}:file).`);
}

/** UTF-8 byte length without TextEncoder (core has neither DOM nor Node types). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

// ---- REST bodies --------------------------------------------------------------------------

/** GET /api/v1/secrets → SecretInfo[]: names, scopes and times, never values. */
export const SecretInfo = z.object({ name: z.string(), scope: z.string(), updatedAt: z.string() });
export type SecretInfo = z.infer<typeof SecretInfo>;

/** PUT /api/v1/secrets/:name */
export const PutSecretRequest = z.object({
  value: z
    .string()
    .min(1, 'the secret value is empty')
    .refine((v) => utf8Length(v) <= MAX_SECRET_VALUE_BYTES, `secret values are at most ${MAX_SECRET_VALUE_BYTES} bytes`)
    .refine((v) => !v.includes('\0'), 'secret values cannot contain NUL bytes'),
  scope: SecretScopeSchema.default('global'),
});
export type PutSecretRequest = z.input<typeof PutSecretRequest>;

/**
 * PUT /api/v1/secrets/:name answer: `rotated` running sandboxes got the new value at once;
 * `recreateRequired` ones use it in env mode and get it only when recreated.
 */
export const PutSecretResult = z.object({ secret: SecretInfo, rotated: z.array(z.string()), recreateRequired: z.array(z.string()) });
export type PutSecretResult = z.infer<typeof PutSecretResult>;

/** GET/PUT /api/v1/sandboxes/:name/secrets */
export const SandboxSecretsRequest = z.object({ secrets: SecretAttachments });
export const SandboxSecretsResult = z.object({
  secrets: z.array(SecretAttachment),
  /**
   * True when the change only takes effect once the sandbox is recreated (env and proxy
   * attachments live in the container's environment, which is fixed at create). File-mode
   * changes apply to a running sandbox at once.
   */
  recreateRequired: z.boolean(),
});
export type SandboxSecretsResult = z.infer<typeof SandboxSecretsResult>;

/** PUT /api/v1/shared-logins/:agent → { agents: string[] }; GET /api/v1/shared-logins → { agents, supported }. */
export const SharedLoginRequest = z.object({ enabled: z.boolean() });

/** Text the CLI and UI show next to env mode. */
export const ENV_MODE_WARNING = 'env mode puts the value in the container environment: anyone with access to the container engine (docker inspect) can read it. Prefer proxy or file.';
