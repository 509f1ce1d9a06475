/** Typed calls to paddockd, answers validated with the shared protocol schemas. */
import {
  AgentInfo,
  RuntimeInfo,
  SandboxInfo,
  Workspace,
  type CreateSandboxRequest,
  type UpdateSandboxRequest,
} from '../core';
import { z } from 'zod';
import { ApiError, ClientErrorCode, sandboxPath, type Transport } from '../transport/transport';

export const SessionInfo = z.object({ id: z.string(), kind: z.enum(['agent', 'shell']), title: z.string() });
export type SessionInfo = z.infer<typeof SessionInfo>;
const UpdateAnswer = z.object({ sandbox: SandboxInfo, restartRequired: z.boolean() });

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, what: string) {
  return (x: unknown): T => {
    const r = schema.safeParse(x);
    if (!r.success) {
      console.warn(`unexpected ${what}`, r.error.issues);
      throw new ApiError(ClientErrorCode.BadResponse, `paddockd sent an unexpected ${what}; is the dashboard older than the daemon? Reload the page.`, 200);
    }
    return r.data;
  };
}

export function makeApi(t: Transport) {
  return {
    runtimes: () => t.request('GET', '/runtimes').then(parse(RuntimeInfo.array(), 'runtime list')),
    agents: () => t.request('GET', '/agents').then(parse(AgentInfo.array(), 'agent list')),
    buildAgent: (agent: string) => t.request('POST', `/agents/${encodeURIComponent(agent)}/build`),
    sandboxes: () => t.request('GET', '/sandboxes').then(parse(SandboxInfo.array(), 'sandbox list')),
    createSandbox: (req: CreateSandboxRequest) => t.request('POST', '/sandboxes', req).then(parse(SandboxInfo, 'sandbox')),
    updateSandbox: (name: string, req: UpdateSandboxRequest) =>
      t.request('PATCH', sandboxPath(name), req).then(parse(UpdateAnswer, 'update answer')),
    startSandbox: (name: string) => t.request('POST', sandboxPath(name, '/start')).then(parse(SandboxInfo, 'sandbox')),
    stopSandbox: (name: string) => t.request('POST', sandboxPath(name, '/stop')).then(parse(SandboxInfo, 'sandbox')),
    restartAgent: (name: string) => t.request('POST', sandboxPath(name, '/restart-agent')).then(parse(SandboxInfo, 'sandbox')),
    removeSandbox: (name: string) => t.request<void>('DELETE', `${sandboxPath(name)}?force=true`),
    sessions: (name: string) => t.request('GET', sandboxPath(name, '/sessions')).then(parse(SessionInfo.array(), 'session list')),
    newShell: (name: string) => t.request('POST', sandboxPath(name, '/sessions')).then(parse(SessionInfo, 'session')),
    closeSession: (name: string, id: string) => t.request<void>('DELETE', sandboxPath(name, `/sessions/${encodeURIComponent(id)}`)),
    workspaces: () => t.request('GET', '/workspaces').then(parse(Workspace.array(), 'workspace list')),
    addWorkspace: (path: string) => t.request('POST', '/workspaces', { path }).then(parse(Workspace, 'workspace')),
    removeWorkspace: (path: string) => t.request<void>('DELETE', `/workspaces?path=${encodeURIComponent(path)}`),
  };
}
export type Api = ReturnType<typeof makeApi>;
