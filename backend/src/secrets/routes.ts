/**
 * REST for secrets. Values go in (PUT) and never come out: no route answers with a value.
 * Expects `ctx.services.secrets` to be the SecretsService.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { actorOf, type RouteModule } from '../api/context.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { API_PREFIX, SANDBOX_NAME_RE } from '../core/protocol.js';
import { PutSecretRequest, SandboxSecretsRequest, SecretScopeSchema, SECRET_NAME_HINT, SECRET_NAME_RE, SharedLoginRequest } from '../core/secrets-protocol.js';
import { SHARED_LOGIN_LAYOUTS } from './shared-login.js';
import type { SecretsService } from './service.js';

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    // Zod messages describe the rule, never echo the input, so a value cannot leak through here.
    throw new PaddockError(ErrorCode.BadInput, `Bad ${what}${issue?.path.length ? ` (${issue.path.join('.')})` : ''}: ${issue?.message ?? 'invalid'}.`);
  }
  return r.data;
}

function secretName(req: FastifyRequest): string {
  const name = (req.params as { name?: string }).name ?? '';
  if (!SECRET_NAME_RE.test(name)) throw new PaddockError(ErrorCode.BadInput, `"${name}" is not a valid secret name: ${SECRET_NAME_HINT}.`);
  return name;
}

function sandboxName(req: FastifyRequest): string {
  const name = (req.params as { name?: string }).name ?? '';
  if (!SANDBOX_NAME_RE.test(name)) throw new PaddockError(ErrorCode.BadInput, `"${name}" is not a valid sandbox name.`);
  return name;
}

export function secretsServiceOf(services: Record<string, unknown>): SecretsService {
  const s = services.secrets as SecretsService | undefined; // SECRETS_SERVICE (feature.ts)
  if (!s) throw new PaddockError(ErrorCode.Internal, 'The secrets module is not running in this paddockd. Restart paddockd; if it persists, report a bug.');
  return s;
}

export const registerSecretRoutes: RouteModule = (app, ctx) => {
  const svc = () => secretsServiceOf(ctx.services);

  app.get(`${API_PREFIX}/secrets`, async () => svc().list());

  app.put(`${API_PREFIX}/secrets/:name`, async (req: FastifyRequest) => {
    const name = secretName(req);
    const body = parse(PutSecretRequest, req.body, 'secret');
    return svc().set(name, body.scope, body.value, actorOf(req));
  });

  app.delete(`${API_PREFIX}/secrets/:name`, async (req: FastifyRequest, reply: FastifyReply) => {
    const name = secretName(req);
    const scope = parse(SecretScopeSchema, (req.query as { scope?: string }).scope ?? 'global', 'scope');
    await svc().remove(name, scope, actorOf(req));
    return reply.code(204).send();
  });

  app.get(`${API_PREFIX}/sandboxes/:name/secrets`, async (req: FastifyRequest) => ({
    secrets: svc().getAttachments(sandboxName(req)),
    recreateRequired: false,
  }));

  app.put(`${API_PREFIX}/sandboxes/:name/secrets`, async (req: FastifyRequest) => {
    const name = sandboxName(req);
    const body = parse(SandboxSecretsRequest, req.body, 'secret attachments');
    // the policy may forbid env-mode injection: refused here as on create and PATCH
    const policy = ctx.services.policy as { checkEnvSecrets?(actor: string, sandbox: string, names: readonly string[]): void } | undefined;
    policy?.checkEnvSecrets?.(actorOf(req), name, body.secrets.filter((s) => s.mode === 'env').map((s) => s.name));
    return svc().setAttachments(name, body.secrets, actorOf(req));
  });

  app.get(`${API_PREFIX}/shared-logins`, async () => ({
    agents: svc().sharedLogins.agents(),
    supported: Object.keys(SHARED_LOGIN_LAYOUTS),
  }));

  app.put(`${API_PREFIX}/shared-logins/:agent`, async (req: FastifyRequest) => {
    const agent = (req.params as { agent?: string }).agent ?? '';
    const body = parse(SharedLoginRequest, req.body, 'shared login setting');
    return { agents: svc().setSharedLogin(agent, body.enabled, actorOf(req)) };
  });
};
