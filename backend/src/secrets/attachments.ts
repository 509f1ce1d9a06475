/**
 * Which secrets a sandbox uses, and how: `<settingsDir>/<sandbox>.secrets.json`, names and modes
 * only (never values). Written atomically; a missing or unreadable file means "none attached".
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { SANDBOX_NAME_RE } from '../core/protocol.js';
import { SecretAttachments, type SecretAttachment } from '../core/secrets-protocol.js';
import { writeAtomic } from './store.js';

export class AttachmentStore {
  constructor(private readonly dir: string) {}

  private file(sandbox: string): string {
    // The name becomes a file name: the sandbox name rule keeps it inside `dir`.
    if (!SANDBOX_NAME_RE.test(sandbox)) throw new PaddockError(ErrorCode.BadInput, `"${sandbox}" is not a valid sandbox name.`);
    return join(this.dir, `${sandbox}.secrets.json`);
  }

  read(sandbox: string): SecretAttachment[] {
    let raw: string;
    try {
      raw = readFileSync(this.file(sandbox), 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = SecretAttachments.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  write(sandbox: string, list: SecretAttachment[]): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeAtomic(this.file(sandbox), JSON.stringify(list));
  }

  remove(sandbox: string): void {
    rmSync(this.file(sandbox), { force: true });
  }

  /** Sandboxes (by file name) that have NAME attached. */
  sandboxesUsing(name: string, listSandboxes: () => string[]): string[] {
    return listSandboxes().filter((s) => this.read(s).some((a) => a.name === name));
  }
}
