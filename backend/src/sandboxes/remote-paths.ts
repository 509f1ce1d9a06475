/**
 * Workspace paths that live on the engine's host, not on paddockd's filesystem (paddockd inside
 * the Docker Desktop extension's container). paddockd cannot stat them; the engine can. A short
 * probe container binds the path exactly as the sandbox will: the engine refuses a path it cannot
 * see (missing, or not shared with Docker Desktop) before anything of the sandbox exists, and the
 * probe reports the owner the sandbox's user must have.
 */
import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/types.js';
import { ErrorCode, PaddockError } from '../core/errors.js';

const PROBE_TIMEOUT_SECONDS = 30;

export interface PathOwner {
  uid: number;
  gid: number;
}

/** Parses `stat -c '%u:%g:%F'` output for a workspace. */
export function parseOwnerProbe(path: string, out: string): PathOwner {
  const m = /^(\d+):(\d+):(.+)$/.exec(out.trim());
  if (!m) throw new PaddockError(ErrorCode.Engine, `Could not read the owner of ${path} through the engine (it printed "${out.trim().slice(0, 200)}"). Check that the engine can see the folder, then retry.`);
  if (m[3] !== 'directory') throw new PaddockError(ErrorCode.BadInput, `Workspace ${path} is not a directory on the engine's host (${m[3]}). Pass the project folder.`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** Reads the owner of `path` as the engine presents it, using `image` (any image with coreutils). */
export async function probeRemoteOwner(engine: Engine, image: string, path: string, labels: Record<string, string>): Promise<PathOwner> {
  const id = await engine.containers.create({
    name: `paddock-probe-${randomBytes(4).toString('hex')}`,
    Image: image,
    Entrypoint: ['sleep'],
    Cmd: [String(PROBE_TIMEOUT_SECONDS)],
    Labels: labels,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      AutoRemove: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Mounts: [{ Type: 'bind', Source: path, Target: '/probe', ReadOnly: true }],
    },
  });
  try {
    await engine.containers.start(id);
    const r = await engine.containers.exec(id, { cmd: ['stat', '-c', '%u:%g:%F', '/probe'], user: '0:0' });
    return parseOwnerProbe(path, r.stdout.toString("utf8"));
  } finally {
    await engine.containers.remove(id, { force: true }).catch(() => undefined);
  }
}
