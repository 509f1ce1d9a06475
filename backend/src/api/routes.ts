/** paddockd's core REST routes: status, agents, runtimes, sandboxes, sessions, workspaces, events. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';
import {
  API_PREFIX, AddWorkspaceRequest, CreateSandboxRequest, ExecRequest, PROTOCOL_VERSION, UpdateSandboxRequest, type AgentInfo, type DaemonStatus,
} from '../core/protocol.js';
import type { ImageBuilder } from '../images/builder.js';
import type { SandboxService } from '../sandboxes/service.js';
import type { TerminalService, ViewerSocket } from '../terminal/service.js';
import type { WebSocket } from 'ws';
import { actorOf, type AppContext } from './context.js';
import type { WorkspaceStore } from './workspaces.js';
import { parse } from './validate.js';
export { parse };

export const SSE_HEARTBEAT_MS = 25_000; // keeps proxies and the browser from dropping an idle stream

export interface CoreDeps {
  sandboxes: SandboxService;
  terminals: TerminalService;
  builder: ImageBuilder;
  workspaces: WorkspaceStore;
  status(): Promise<DaemonStatus>;
}


const NameParams = z.object({ name: z.string().min(1).max(128) });

export function registerCoreRoutes(app: FastifyInstance, ctx: AppContext, deps: CoreDeps): void {
  const { sandboxes, terminals, builder, workspaces } = deps;
  const P = API_PREFIX;

  app.get(`${P}/status`, async () => deps.status());
  app.get(`${P}/runtimes`, async () => sandboxes.runtimes());

  app.get(`${P}/agents`, async (): Promise<AgentInfo[]> => {
    const catalog = sandboxes.catalog();
    return Promise.all(
      catalog.map(async (a) => ({
        name: a.name,
        title: a.title,
        description: a.description,
        custom: a.custom,
        image: await builder.agentTag(a),
        imageState: await builder.state(a),
        hosts: a.hosts,
        command: a.command,
      })),
    );
  });

  app.post(`${P}/agents/:agent/build`, async (req, reply) => {
    const { agent: name } = parse(z.object({ agent: z.string() }), req.params);
    const agent = sandboxes.catalog().find((a) => a.name === name);
    if (!agent) throw new PaddockError(ErrorCode.NotFound, `Unknown agent "${name}".`);
    ctx.events.emit({ type: 'image', agent: name, state: 'building' });
    builder
      .ensureAgent(agent, (line) => ctx.events.emit({ type: 'image', agent: name, state: 'building', progress: line }))
      .then(() => {
        ctx.events.emit({ type: 'image', agent: name, state: 'ready' });
        ctx.events.emit({ type: 'toast', level: 'success', message: `${agent.title} image is ready` });
      })
      .catch((err: Error) => {
        ctx.events.emit({ type: 'image', agent: name, state: 'failed', progress: err.message });
        ctx.events.emit({ type: 'toast', level: 'error', message: err.message });
      });
    return reply.code(202).send({ accepted: true });
  });

  app.get(`${P}/sandboxes`, async () => sandboxes.list());

  app.post(`${P}/sandboxes`, async (req, reply) => {
    const body = parse(CreateSandboxRequest, req.body);
    let built = false;
    const { sandbox, reused } = await sandboxes.create(body, actorOf(req), (line) => {
      built = true;
      ctx.events.emit({ type: 'image', agent: body.agent, state: 'building', progress: line });
    });
    if (built) ctx.events.emit({ type: 'image', agent: body.agent, state: 'ready' });
    return reply.code(reused ? 200 : 201).send(sandbox);
  });

  app.get(`${P}/sandboxes/:name`, async (req) => sandboxes.inspect(parse(NameParams, req.params).name));

  app.patch(`${P}/sandboxes/:name`, async (req) => {
    const { name } = parse(NameParams, req.params);
    return sandboxes.update(name, parse(UpdateSandboxRequest, req.body), actorOf(req));
  });

  app.post(`${P}/sandboxes/:name/start`, async (req) => sandboxes.start(parse(NameParams, req.params).name, actorOf(req)));
  app.post(`${P}/sandboxes/:name/stop`, async (req) => sandboxes.stop(parse(NameParams, req.params).name, actorOf(req)));
  app.post(`${P}/sandboxes/:name/restart-agent`, async (req) => sandboxes.restartAgent(parse(NameParams, req.params).name, actorOf(req)));

  app.delete(`${P}/sandboxes/:name`, async (req, reply) => {
    const { name } = parse(NameParams, req.params);
    const { force } = parse(z.object({ force: z.enum(['true', 'false', '1', '0']).optional() }), req.query);
    await sandboxes.remove(name, { force: force === 'true' || force === '1' }, actorOf(req));
    return reply.code(204).send();
  });

  app.post(`${P}/sandboxes/:name/exec`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const body = parse(ExecRequest, req.body);
    return sandboxes.exec(name, body.cmd, { ...(body.root !== undefined ? { root: body.root } : {}), ...(body.env ? { env: body.env } : {}) }, actorOf(req));
  });

  app.get(`${P}/sandboxes/:name/sessions`, async (req) => terminals.sessions(parse(NameParams, req.params).name));
  app.post(`${P}/sandboxes/:name/sessions`, async (req, reply) => reply.code(201).send(await terminals.newShell(parse(NameParams, req.params).name, actorOf(req))));
  app.delete(`${P}/sandboxes/:name/sessions/:id`, async (req, reply) => {
    const { name, id } = parse(z.object({ name: z.string(), id: z.string() }), req.params);
    await terminals.killSession(name, id);
    return reply.code(204).send();
  });

  app.get(`${P}/sandboxes/:name/logs`, async (req, reply) => {
    const { name } = parse(NameParams, req.params);
    const q = parse(z.object({ session: z.string().default('agent'), tail: z.coerce.number().int().min(1).max(10_000).default(10_000) }), req.query);
    return reply.type('text/plain; charset=utf-8').send(await terminals.logs(name, q.session, q.tail));
  });

  app.get(`${P}/sandboxes/:name/terminal`, { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
    const { name } = parse(NameParams, req.params);
    const q = parse(z.object({ session: z.string().default('agent'), scrollback: z.coerce.number().int().min(0).max(10_000).default(10_000) }), req.query);
    terminals.serve(wsViewer(socket), name, q.session, actorOf(req), { scrollbackLines: q.scrollback });
  });

  app.get(`${P}/workspaces`, async () => workspaces.list());
  app.post(`${P}/workspaces`, async (req, reply) => {
    const w = workspaces.add(parse(AddWorkspaceRequest, req.body).path);
    ctx.events.emit({ type: 'workspaces', workspaces: workspaces.list() });
    return reply.code(201).send(w);
  });
  app.delete(`${P}/workspaces`, async (req, reply) => {
    const { path } = parse(z.object({ path: z.string().min(1) }), req.query);
    workspaces.remove(path);
    ctx.events.emit({ type: 'workspaces', workspaces: workspaces.list() });
    return reply.code(204).send();
  });

  app.get(`${P}/events`, (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`: paddockd protocol ${PROTOCOL_VERSION}\n\n`);
    const unsubscribe = ctx.events.subscribe((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
    const beat = setInterval(() => res.write(': keepalive\n\n'), SSE_HEARTBEAT_MS);
    req.raw.on('close', () => {
      clearInterval(beat);
      unsubscribe();
    });
  });
}

/** Adapt a ws WebSocket to the terminal service's ViewerSocket. */
export function wsViewer(ws: WebSocket): ViewerSocket {
  return {
    sendBinary: (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
    },
    sendJson: (msg) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    },
    close: (code, reason) => ws.close(code, reason),
    onBinary: (fn) => ws.on('message', (data, isBinary) => isBinary && fn(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]))),
    onText: (fn) => ws.on('message', (data, isBinary) => !isBinary && fn(data.toString())),
    onClose: (fn) => ws.on('close', fn),
  };
}
