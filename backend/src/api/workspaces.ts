/** The dashboard's list of known workspaces (paths only), kept in paddockd's state. */
import { readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { assertWorkspaceAllowed, normalizeAbsolute } from '../core/paths.js';
import type { Workspace } from '../core/protocol.js';

export class WorkspaceStore {
  constructor(
    private readonly file: string,
    private readonly homeDir: string | null,
    private readonly remotePaths = process.env.PADDOCK_REMOTE_PATHS === '1',
  ) {}

  list(): Workspace[] {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as Workspace[];
      return Array.isArray(data) ? data : [];
    } catch {
      return [];
    }
  }

  add(input: string): Workspace {
    const path = normalizeAbsolute(input.trim().replace(/\/+$/, '') || '/');
    assertWorkspaceAllowed(path, this.homeDir);
    // Remote paths (paddockd in the Docker Desktop extension): the folder is on the engine's host,
    // checked by the engine when a sandbox is launched in it.
    if (!this.remotePaths) {
      let st;
      try {
        st = statSync(path);
      } catch {
        throw new PaddockError(ErrorCode.BadInput, `${path} does not exist. Create the folder first, or check the path for typos.`);
      }
      if (!st.isDirectory()) throw new PaddockError(ErrorCode.BadInput, `${path} is a file, not a folder. Add the project folder that contains it.`);
    }
    const all = this.list();
    const existing = all.find((w) => w.path === path);
    if (existing) return existing;
    const w = { path, addedAt: new Date().toISOString() };
    this.save([...all, w]);
    return w;
  }

  remove(path: string): void {
    const all = this.list();
    const next = all.filter((w) => w.path !== path);
    if (next.length === all.length) throw new PaddockError(ErrorCode.NotFound, `${path} is not in the workspace list.`);
    this.save(next);
  }

  private save(list: Workspace[]): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(list, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
