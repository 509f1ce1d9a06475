/**
 * The seam between secrets and the egress proxy. Secrets decides WHAT header goes to WHICH
 * host for a sandbox; the egress module (backend/src/egress) implements this by configuring the
 * proxy. The proxy's reverse-proxy port (REVERSE_PROXY_PORT) maps `/<route>/…` to
 * `https://<host>/…` where `<route>` is a preset's route (`anthropic`, `openai`, `gemini`) or
 * the host itself for generic rules (`/api.github.com/…` → `https://api.github.com/…`), and
 * sets `header: prefix + value` on that request only — never on a request to another host, and
 * never on CONNECT tunnels (it cannot see inside TLS).
 */
export const REVERSE_PROXY_PORT = 3129; // the egress proxy's plain-HTTP reverse-proxy listener

export interface InjectionRule {
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
