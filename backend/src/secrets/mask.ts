/**
 * Masks secret values in text paddockd writes to its logs. One regex over every known value
 * (raw, and as it appears inside a JSON string, since pino writes JSON lines), rebuilt only when
 * the set of values changes. Terminal output is not masked: it is the user's own screen.
 */

/**
 * Values shorter than this are not masked: masking "abc" would blank ordinary words all over the
 * logs and tell a reader where the secret is. Paddock warns when such a value is stored.
 */
export const MIN_MASKED_LENGTH = 4;

export function maskToken(name: string): string {
  return `[secret:${name}]`;
}

/**
 * Values replaced or removed while paddockd runs stay masked: an old key may still show up (an
 * upstream error echoing it, a sandbox not yet rotated). Bounded, oldest forgotten first.
 */
export const MAX_RETIRED_VALUES = 256;

export class SecretMasker {
  private pattern: RegExp | null = null;
  private byText = new Map<string, string>();
  private current = new Map<string, string>();
  private readonly retired = new Map<string, string>();

  /** Replace the known values (name → value pairs; one name may have values in several scopes). */
  setValues(values: readonly { name: string; value: string }[]): void {
    const current = new Map<string, string>();
    for (const { name, value } of values) {
      if (value.length < MIN_MASKED_LENGTH) continue;
      current.set(value, name);
      const jsonForm = JSON.stringify(value).slice(1, -1);
      if (jsonForm !== value) current.set(jsonForm, name);
    }
    for (const [text, name] of this.current) {
      if (current.has(text)) continue;
      this.retired.delete(text);
      this.retired.set(text, name);
      if (this.retired.size > MAX_RETIRED_VALUES) this.retired.delete(this.retired.keys().next().value!);
    }
    this.current = current;
    const byText = new Map([...this.retired, ...current]);
    this.byText = byText;
    // Longest first, so a value that contains another is masked whole.
    const alternatives = [...byText.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'g') : null;
  }

  mask(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, (hit) => maskToken(this.byText.get(hit) ?? 'unknown'));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * pino options that mask every line before it reaches the log stream:
 * `pino({ ...otherOptions, hooks: maskingLogHooks(masker) })`. The hook sees the final
 * serialized line, so messages, bound fields and error stacks are all covered.
 */
export function maskingLogHooks(masker: SecretMasker): { streamWrite: (line: string) => string } {
  return { streamWrite: (line) => masker.mask(line) };
}
