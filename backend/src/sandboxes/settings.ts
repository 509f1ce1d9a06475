/**
 * Mutable per-sandbox settings that engine labels cannot hold (labels are fixed at create):
 * live resource changes and changed agent arguments. One small JSON file each. The network mode
 * and allowlist live in the egress store, which the proxy enforces; `network`/`allowHosts` here are
 * only read, from files written before that.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NetworkMode } from '../core/protocol.js';

export const SandboxSettings = z.object({
  network: NetworkMode.optional(),
  allowHosts: z.array(z.string()).optional(),
  cpus: z.number().optional(),
  memoryBytes: z.number().optional(),
  pids: z.number().optional(),
  agentArgs: z.array(z.string()).optional(),
});
export type SandboxSettings = z.infer<typeof SandboxSettings>;

export class SettingsStore {
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  read(name: string): SandboxSettings {
    try {
      const parsed = SandboxSettings.safeParse(JSON.parse(readFileSync(this.file(name), 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  write(name: string, patch: SandboxSettings): SandboxSettings {
    const next = { ...this.read(name), ...patch };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(name)}.tmp`;
    writeFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
    renameSync(tmp, this.file(name));
    return next;
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }
}
