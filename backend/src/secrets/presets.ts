/**
 * Proxy-mode presets and the pure plan for one attachment: which env vars the sandbox gets
 * (a placeholder key and a base URL pointing at the proxy) and which rule the proxy applies.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { providerForName, type ProxyProvider, type SecretAttachment } from '../core/secrets-protocol.js';
import { REVERSE_PROXY_PORT, type InjectionRule } from './injector.js';

export interface ProxyPreset {
  provider: ProxyProvider;
  /** The provider's API host; the only host the key is ever sent to. */
  host: string;
  header: string;
  prefix?: string;
  /** Env var the agent reads its key from; holds the placeholder. */
  keyEnv: string;
  /** Env var the agent reads its API base URL from; points at the proxy. */
  baseUrlEnv: string;
  /** Path after http://<proxy>:3129 for the base URL (route + the API's own base path). */
  basePath: string;
}

export const PROXY_PRESETS: Readonly<Record<ProxyProvider, ProxyPreset>> = {
  anthropic: { provider: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key', keyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL', basePath: '/anthropic' },
  openai: { provider: 'openai', host: 'api.openai.com', header: 'Authorization', prefix: 'Bearer ', keyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL', basePath: '/openai/v1' },
  gemini: { provider: 'gemini', host: 'generativelanguage.googleapis.com', header: 'x-goog-api-key', keyEnv: 'GEMINI_API_KEY', baseUrlEnv: 'GOOGLE_GEMINI_BASE_URL', basePath: '/gemini' },
};

/** Generic rules without a header name send `Authorization: Bearer <value>`, the common API token form. */
export const GENERIC_DEFAULT_HEADER = 'Authorization';
export const GENERIC_DEFAULT_PREFIX = 'Bearer ';

export const PLACEHOLDER_PREFIX = 'paddock-placeholder-';
const PLACEHOLDER_RANDOM_BYTES = 16; // unguessable, so a placeholder seen in a request identifies its sandbox

/** What the sandbox holds instead of the key: recognisable in logs, worthless anywhere else. */
export function newPlaceholder(): string {
  return PLACEHOLDER_PREFIX + randomBytes(PLACEHOLDER_RANDOM_BYTES).toString('hex');
}

export interface ProxyPlan {
  env: Record<string, string>;
  rule: Omit<InjectionRule, 'value'>;
}

/** The credential-port id of a generic rule: the secret's name, in the proxy's id alphabet (lowercase, ≤ 63). */
export function genericRouteId(name: string): string {
  return `s-${name.toLowerCase()}`.slice(0, 63);
}

/** The preset an attachment uses: explicit provider, else the name (ANTHROPIC_API_KEY → anthropic); null for a generic host rule. */
export function presetFor(att: SecretAttachment): ProxyPreset | null {
  if (att.host) return null;
  const provider = att.provider ?? providerForName(att.name);
  return provider ? PROXY_PRESETS[provider] : null;
}

export function proxyPlan(att: SecretAttachment, proxyAddress: string, placeholder: string): ProxyPlan {
  const origin = `http://${proxyAddress}:${REVERSE_PROXY_PORT}`;
  const preset = presetFor(att);
  if (preset) {
    return {
      env: { [preset.keyEnv]: placeholder, [preset.baseUrlEnv]: origin + preset.basePath },
      rule: { id: preset.provider, host: preset.host, header: preset.header, ...(preset.prefix ? { prefix: preset.prefix } : {}) },
    };
  }
  if (!att.host) {
    throw new PaddockError(ErrorCode.BadInput,
      `Secret ${att.name} in proxy mode needs a provider (anthropic, openai, gemini) or a host rule: e.g. --secret ${att.name}:proxy=anthropic or --secret ${att.name}:proxy=api.example.com. Or use ${att.name}:file.`);
  }
  const header = att.header ?? GENERIC_DEFAULT_HEADER;
  const prefix = att.header ? att.prefix : (att.prefix ?? GENERIC_DEFAULT_PREFIX);
  const id = genericRouteId(att.name);
  return {
    env: { [att.name]: placeholder, [`${att.name}_BASE_URL`]: `${origin}/${id}` },
    rule: { id, host: att.host, header, ...(prefix ? { prefix } : {}) },
  };
}
