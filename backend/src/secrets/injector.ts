/**
 * The seam between secrets and the egress proxy. Secrets decides WHAT header goes to WHICH
 * host for a sandbox; the egress module (backend/src/egress) implements CredentialInjector by
 * folding the rules into the sandbox's proxy config (`credentialRuleOf` gives the proxy's own
 * shape). The proxy's credential port maps `http://<proxy>:3129/<id>/…` to `https://<host>/…`
 * and sets `header: prefix + value` on that request only — never on a request to another host,
 * and never inside CONNECT tunnels (it cannot see inside TLS).
 */
import { CREDENTIAL_PORT, type CredentialRule } from '../egress/proxy/control-protocol.js';

export const REVERSE_PROXY_PORT: number = CREDENTIAL_PORT; // the proxy's plain-HTTP credential listener (3129)

export interface InjectionRule {
  /** First path segment on the credential port: a preset's provider (`anthropic`) or `s-<secret name>` for generic rules. */
  id: string;
  /** Upstream host the credential is for, e.g. api.anthropic.com. Exact match, no wildcards. */
  host: string;
  /** Header to set (replacing whatever the sandbox sent, e.g. its placeholder). */
  header: string;
  /** The real credential. Only ever held by paddockd and the proxy. */
  value: string;
  /** Put before the value, e.g. "Bearer ". */
  prefix?: string;
}

export interface CredentialInjector {
  /** Replace every rule for this sandbox (an empty list removes them). Takes effect at once. */
  setInjections(sandbox: string, rules: InjectionRule[]): Promise<void>;
}

/** Used until the egress module is wired in: proxy-mode attachments are refused with a clear message. */
export class MissingInjector implements CredentialInjector {
  readonly missing = true;
  async setInjections(): Promise<void> {
    // nothing to configure: SecretsService refuses proxy mode before it gets here
  }
}

/** The egress proxy's wire shape for one rule (the prefix is part of the header value there). */
export function credentialRuleOf(rule: InjectionRule): CredentialRule {
  return { id: rule.id, host: rule.host, header: rule.header, value: (rule.prefix ?? '') + rule.value };
}

/** What the egress module offers (EgressService.setCredentials): replace a sandbox's credentials in the proxy. */
export interface CredentialTarget {
  setCredentials(sandbox: string, creds: CredentialRule[]): Promise<void>;
}

/** The CredentialInjector over the egress module: `new SecretsService({ …, injector: injectorFor(egress) })`. */
export function injectorFor(target: CredentialTarget): CredentialInjector {
  return { setInjections: (sandbox, rules) => target.setCredentials(sandbox, rules.map(credentialRuleOf)) };
}
