/**
 * Mutable per-sandbox egress settings (mode, rules) in `<settingsDir>/<name>.egress.json`, so a
 * restarted paddockd re-pushes them; engine labels are fixed at create and cannot hold them.
 * Credentials are never written here (the secrets store owns them and pushes them at start).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NetworkMode } from '../core/protocol.js';

export const RuleSource = z.union([z.literal('agent'), z.literal('user'), z.string().regex(/^group:[a-z0-9-]+$/)]);

export const StoredRule = z.object({
  action: z.enum(['allow', 'deny']),
  rule: z.string(),
  /** Where the rule came from: the agent's preset, a host group (`group:npm`), or the user. */
  source: RuleSource,
});
export type StoredRule = z.infer<typeof StoredRule>;

export const EGRESS_SETTINGS_VERSION = 1;
export const EgressSettings = z.object({
  v: z.literal(EGRESS_SETTINGS_VERSION),
  name: z.string(),
  agent: z.string(),
  /** The sandbox network's /28 (the proxy sits at .2 of it). */
  subnet: z.string(),
  mode: NetworkMode,
  rules: z.array(StoredRule),
});
export type EgressSettings = z.infer<typeof EgressSettings>;

const SUFFIX = '.egress.json';

export class EgressSettingsStore {
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, `${name}${SUFFIX}`);
  }

  read(name: string): EgressSettings | null {
    try {
      const parsed = EgressSettings.safeParse(JSON.parse(readFileSync(this.file(name), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  write(s: EgressSettings): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(s.name)}.tmp`;
    writeFileSync(tmp, JSON.stringify(s, null, 1), { mode: 0o600 });
    renameSync(tmp, this.file(s.name));
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  all(): EgressSettings[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((f) => f.endsWith(SUFFIX));
    } catch {
      return [];
    }
    return names.map((f) => this.read(f.slice(0, -SUFFIX.length))).filter((s): s is EgressSettings => s !== null);
  }
}
