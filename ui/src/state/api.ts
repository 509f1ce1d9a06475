/** Typed calls to paddockd, answers validated with the shared protocol schemas. */
import {
  AgentInfo,
  AuditRecord,
  AuditVerifyResult,
  PolicyCheckResult,
  PolicyView,
  PutSecretResult,
  RuntimeInfo,
  SandboxInfo,
  SandboxSecretsResult,
  SecretInfo,
  Workspace,
  type CreateSandboxRequest,
  type SecretAttachment,
  type UpdateSandboxRequest,
} from '../core';
import { z } from 'zod';
import { ApiError, ClientErrorCode, sandboxPath, type Transport } from '../transport/transport';

export const SessionInfo = z.object({ id: z.string(), kind: z.enum(['agent', 'shell']), title: z.string() });
export type SessionInfo = z.infer<typeof SessionInfo>;
const UpdateAnswer = z.object({ sandbox: SandboxInfo, restartRequired: z.boolean(), restartReasons: z.array(z.string()).default([]) });
export const SharedLogins = z.object({ agents: z.array(z.string()), supported: z.array(z.string()).default([]) });
export type SharedLogins = z.infer<typeof SharedLogins>;

/** Filters of the activity view, sent as GET /audit and /audit/follow query parameters. */
export interface AuditFilter {
  sandbox?: string;
  action?: string;
  since?: string;
  limit?: number;
}
export function auditQuery(f: AuditFilter): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

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
    /** `restart`: paddockd stops the sandbox, applies the change and starts it again (for what its runtime cannot take live). */
    updateSandbox: (name: string, req: UpdateSandboxRequest, restart = false) =>
      t.request('PATCH', `${sandboxPath(name)}${restart ? '?restart=true' : ''}`, req).then(parse(UpdateAnswer, 'update answer')),
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
    // secrets: values only ever go out (PUT); no answer carries one
    secrets: () => t.request('GET', '/secrets').then(parse(SecretInfo.array(), 'secret list')),
    putSecret: (name: string, value: string, scope: string) =>
      t.request('PUT', `/secrets/${encodeURIComponent(name)}`, { value, scope }).then(parse(PutSecretResult, 'secret answer')),
    deleteSecret: (name: string, scope: string) => t.request<void>('DELETE', `/secrets/${encodeURIComponent(name)}?scope=${encodeURIComponent(scope)}`),
    sandboxSecrets: (name: string) => t.request('GET', sandboxPath(name, '/secrets')).then(parse(SandboxSecretsResult, 'secret attachments')),
    setSandboxSecrets: (name: string, secrets: SecretAttachment[]) =>
      t.request('PUT', sandboxPath(name, '/secrets'), { secrets }).then(parse(SandboxSecretsResult, 'secret attachments')),
    sharedLogins: () => t.request('GET', '/shared-logins').then(parse(SharedLogins, 'shared login list')),
    setSharedLogin: (agent: string, enabled: boolean) =>
      t.request('PUT', `/shared-logins/${encodeURIComponent(agent)}`, { enabled }).then(parse(SharedLogins.pick({ agents: true }), 'shared login list')),
    // policy and audit
    policy: () => t.request('GET', '/policy').then(parse(PolicyView, 'policy')),
    policyCheck: (req: CreateSandboxRequest) => t.request('POST', '/policy/check', req).then(parse(PolicyCheckResult, 'policy check')),
    audit: (f: AuditFilter) => t.request('GET', `/audit${auditQuery(f)}`).then(parse(AuditRecord.array(), 'audit log')),
    auditVerify: () => t.request('GET', '/audit/verify').then(parse(AuditVerifyResult, 'audit check')),
  };
}
export type Api = ReturnType<typeof makeApi>;
