/**
 * When paddockd itself runs in a container (the Docker Desktop extension's backend), it is not on
 * the egress proxy's network, and the proxy answers its control port only there. paddockd finds
 * its own container and joins that network, as a container on the host would not need to.
 */
import { readFileSync } from 'node:fs';

const CONTAINER_DIR_RE = /\/containers\/([0-9a-f]{64})\/(?:resolv\.conf|hostname|hosts)\s/;

/** The engine's id of the container whose /proc/self/mountinfo this is; null outside a container. */
export function containerIdFromMountinfo(mountinfo: string): string | null {
  for (const line of mountinfo.split('\n')) {
    const m = CONTAINER_DIR_RE.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

export function ownContainerId(): string | null {
  try {
    return containerIdFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
}
