/** Sandbox settings drawer: the form's values, checks, and the PATCH body holding only what changed. */
import { formatBytes, parseCpus, parseMemory, parsePids, type NetworkMode, type SandboxInfo, type UpdateSandboxRequest } from '../../core';
import { cpusError, dedupe, hostError, memoryError, pidsError } from '../launch/launch-form';

export interface SettingsValues {
  network: NetworkMode;
  allowHosts: string[];
  cpus: string;
  memory: string;
  pids: string;
}
export type SettingsErrors = Partial<Record<keyof SettingsValues, string>>;

/** Memory shown the way people type it ("2g"), so an untouched field parses back to the same bytes. */
export function memoryInput(bytes: number): string {
  const units: [string, number][] = [
    ['t', 1024 ** 4],
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ];
  for (const [u, n] of units) if (bytes % n === 0) return `${bytes / n}${u}`;
  return String(bytes);
}

export function settingsFrom(s: SandboxInfo): SettingsValues {
  return {
    network: s.network,
    allowHosts: [...s.allowHosts],
    cpus: String(s.resources.cpus),
    memory: memoryInput(s.resources.memoryBytes),
    pids: String(s.resources.pids),
  };
}

export function validateSettings(v: SettingsValues): SettingsErrors {
  const e: SettingsErrors = {};
  if (v.network === 'allowlist') {
    const bad = v.allowHosts.map(hostError).find((x) => x !== null);
    if (bad) e.allowHosts = bad;
  }
  const c = cpusError(v.cpus);
  if (c) e.cpus = c;
  const m = memoryError(v.memory);
  if (m) e.memory = m;
  const p = pidsError(v.pids);
  if (p) e.pids = p;
  return e;
}

/** The PATCH body: only fields that differ from the sandbox as it is; null when nothing changed. */
export function settingsPatch(s: SandboxInfo, v: SettingsValues): UpdateSandboxRequest | null {
  const patch: UpdateSandboxRequest = {};
  if (v.network !== s.network) patch.network = v.network;
  const hosts = dedupe(v.allowHosts);
  if (hosts.join('\n') !== dedupe(s.allowHosts).join('\n')) patch.allowHosts = hosts;
  const cpus = parseCpus(v.cpus);
  if (cpus !== s.resources.cpus) patch.cpus = cpus;
  const mem = parseMemory(v.memory);
  if (mem !== s.resources.memoryBytes) patch.memory = mem;
  const pids = parsePids(v.pids);
  if (pids !== s.resources.pids) patch.pids = pids;
  return Object.keys(patch).length ? patch : null;
}

export function describeResources(s: SandboxInfo): string {
  return `${s.resources.cpus} CPU · ${formatBytes(s.resources.memoryBytes)} · ${s.resources.pids} pids`;
}

/**
 * True when paddockd must restart the sandbox to apply `patch` (it asks for `?restart=true`):
 * gVisor cannot take new CPU, memory or process limits while it runs. Mirrors api/routes.ts restartNeeds.
 */
export function restartToApply(s: Pick<SandboxInfo, 'state' | 'isolation'>, patch: UpdateSandboxRequest | null): boolean {
  if (!patch || s.state !== 'running' || s.isolation !== 'gvisor') return false;
  return patch.cpus !== undefined || patch.memory !== undefined || patch.pids !== undefined;
}
