/**
 * REST for per-sandbox egress: show, mode, rules, and the decision log (JSON or SSE follow).
 * Expects `ctx.services.egress` (EgressService); a mode change goes through
 * `ctx.services.sandboxes.update` when present so the sandbox's own record stays in step.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';
import {
  AddNetworkRuleRequest, RemoveNetworkRuleRequest, ReplaceNetworkRulesRequest, SetNetworkModeRequest,
} from '../core/network-protocol.js';
import { API_PREFIX, type NetworkMode, type UpdateSandboxRequest } from '../core/protocol.js';
import { actorOf, type Actor, type AppContext, type RouteModule } from '../api/context.js';
import type { EgressService } from './service.js';
import { parse } from '../api/validate.js';

export const NETWORK_SSE_HEARTBEAT_MS = 25_000; // same as /events: keeps idle streams from being dropped
export const NETWORK_LOG_MAX_LIMIT = 5000; // the proxy keeps this many decisions at most

interface SandboxUpdater {
  update(name: string, change: UpdateSandboxRequest, actor: Actor): Promise<unknown>;
}


const NameParams = z.object({ name: z.string().min(1).max(128) });
const LogQuery = z.object({
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(NETWORK_LOG_MAX_LIMIT).optional(),
});

export const registerNetworkRoutes: RouteModule = (app, ctx: AppContext) => {
  const P = `${API_PREFIX}/sandboxes/:name/network`;
  const egress = (): EgressService => {
    const s = ctx.services.egress as EgressService | undefined;
    if (!s) throw new PaddockError(ErrorCode.Internal, 'The egress module is not running in this paddockd. Restart paddockd; see its log if this persists.');
    return s;
  };
  const known = (name: string): EgressService => {
    const s = egress();
    if (!s.has(name)) {
      throw new PaddockError(ErrorCode.NotFound, `Sandbox "${name}" has no network settings (it does not exist, or was made before egress control). See \`paddock ls\`.`);
    }
    return s;
  };

  app.get(P, async (req) => {
    const { name } = parse(NameParams, req.params);
    return known(name).view(name);
  });

  app.put(`${P}/mode`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const { mode } = parse(SetNetworkModeRequest, req.body);
    const svc = known(name);
    const sandboxes = ctx.services.sandboxes as SandboxUpdater | undefined;
    // Through the sandbox service when there is one: it applies the engine side, records the
    // change and calls our afterUpdate hook (which is idempotent).
    if (sandboxes?.update) await sandboxes.update(name, { network: mode as NetworkMode }, actorOf(req));
    else await svc.setMode(name, mode);
    return svc.view(name);
  });

  app.post(`${P}/rules`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const { action, rule } = parse(AddNetworkRuleRequest, req.body);
    return known(name).addRule(name, action, rule, actorOf(req));
  });

  app.put(`${P}/rules`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const { rules } = parse(ReplaceNetworkRulesRequest, req.body);
    return known(name).setRules(name, rules, actorOf(req));
  });

  app.delete(`${P}/rules`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const fromQuery = (req.query as { rule?: string } | undefined)?.rule;
    const { rule } = parse(RemoveNetworkRuleRequest, fromQuery !== undefined ? { rule: fromQuery } : req.body);
    return known(name).removeRule(name, rule);
  });

  app.get(`${P}/log`, async (req: FastifyRequest, reply: FastifyReply) => {
    const { name } = parse(NameParams, req.params);
    const q = parse(LogQuery, req.query);
    const svc = known(name);
    const recent = await svc.recentLog(name, q.limit);
    if (q.follow !== '1' && q.follow !== 'true') return recent;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    for (const d of recent) res.write(`data: ${JSON.stringify(d)}\n\n`);
    const stop = svc.followLog(name, (d) => res.write(`data: ${JSON.stringify(d)}\n\n`));
    const beat = setInterval(() => res.write(': keepalive\n\n'), NETWORK_SSE_HEARTBEAT_MS);
    req.raw.on('close', () => {
      clearInterval(beat);
      stop();
    });
    return reply;
  });
};
