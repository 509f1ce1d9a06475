/** Test data shared by unit tests. */
import type { SandboxInfo } from '../core';

export function sandbox(over: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    name: 'shell-proj',
    id: 'abc',
    agent: 'shell',
    workspace: '/tmp/proj',
    state: 'running',
    agentState: 'running',
    agentExitCode: null,
    isolation: 'container',
    network: 'allowlist',
    allowHosts: [],
    image: 'paddock/shell:1',
    createdAt: '2026-01-01T00:00:00Z',
    mounts: [],
    resources: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 },
    autonomy: true,
    uid: 1000,
    gid: 1000,
    agentArgs: [],
    ...over,
  };
}
