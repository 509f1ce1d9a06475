/**
 * File-mode secrets: files under /run/secrets (a tmpfs, so gone when the sandbox stops), mode
 * 0400, owned by the agent user, in a 0700 directory the agent owns.
 *
 * Written by one root exec that receives the values base64-encoded in its environment. Not
 * `putArchive`: the engine extracts archives into the container's filesystem layer, underneath
 * any tmpfs mounted there, so the file would land on disk and be invisible inside the sandbox
 * (files.int.test.ts shows this). The exec's environment lives only in the engine's memory and
 * in a process that exits at once; it is not part of `docker inspect` of the container.
 */
import { ErrorCode, PaddockError } from '../core/errors.js';
import type { Engine } from '../engine/types.js';

export const SECRETS_DIR = '/run/secrets';
/** Small: secrets are small, and a bound stops a sandbox from using the tmpfs as a RAM sink. noexec: nothing here is a program. */
export const SECRETS_TMPFS_SIZE = '1m';
const NOT_TMPFS_EXIT = 64; // the script's "no tmpfs at /run/secrets" status

export function secretsTmpfsOptions(uid: number, gid: number): string {
  return `rw,nosuid,nodev,noexec,size=${SECRETS_TMPFS_SIZE},mode=0700,uid=${uid},gid=${gid}`;
}

// Positional args: uid gid NAME... ; values in PADDOCK_SECRET_<i> (base64). Names are
// SECRET_NAME_RE-checked upstream, and only ever used quoted.
const WRITE_SCRIPT = `set -eu
dir=${SECRETS_DIR}
grep -qs " $dir tmpfs " /proc/mounts || exit ${NOT_TMPFS_EXIT}
uid=$1; gid=$2; shift 2
umask 077
chown "$uid:$gid" "$dir"; chmod 0700 "$dir"
i=0
for name in "$@"; do
  tmp="$dir/.$name.tmp"
  printenv "PADDOCK_SECRET_$i" | base64 -d > "$tmp"
  chown "$uid:$gid" "$tmp"; chmod 0400 "$tmp"
  mv -f "$tmp" "$dir/$name"
  i=$((i+1))
done
for f in "$dir"/* "$dir"/.[!.]*; do
  [ -e "$f" ] || continue
  keep=0
  for name in "$@"; do [ "$f" = "$dir/$name" ] && keep=1; done
  [ "$keep" = 1 ] || rm -f "$f"
done
`;

export interface SecretFile {
  name: string;
  value: string;
}

export type WriteResult = 'written' | 'no-tmpfs';

/**
 * Makes /run/secrets hold exactly `files` (others removed). 'no-tmpfs' when the sandbox was
 * created without the tmpfs (nothing is written then: it would land on disk).
 */
export async function writeSecretFiles(engine: Engine, containerId: string, uid: number, gid: number, files: readonly SecretFile[]): Promise<WriteResult> {
  const out = await engine.containers.exec(containerId, {
    cmd: ['sh', '-c', WRITE_SCRIPT, 'paddock-secrets', String(uid), String(gid), ...files.map((f) => f.name)],
    user: '0:0',
    env: files.map((f, i) => `PADDOCK_SECRET_${i}=${Buffer.from(f.value, 'utf8').toString('base64')}`),
  });
  if (out.exitCode === NOT_TMPFS_EXIT) return 'no-tmpfs';
  if (out.exitCode !== 0) {
    // stderr of this script never holds a value (values only pass through printenv | base64 -d).
    throw new PaddockError(ErrorCode.Engine,
      `Writing secret files into the sandbox failed (exit ${out.exitCode}: ${out.stderr.toString('utf8').trim().slice(0, 300)}). Check that the sandbox is running, then restart it.`);
  }
  return 'written';
}
