/** paddockd's core REST routes: status, agents, runtimes, sandboxes, sessions, workspaces, events. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';
import {
  API_PREFIX, AddWorkspaceRequest, CreateSandboxRequest, ExecRequest, PROTOCOL_VERSION, UpdateSandboxRequest, type AgentInfo, type DaemonStatus, type SandboxInfo,
} from '../core/protocol.js';
import { parseCpus, parseMemory, parsePids } from '../core/sizes.js';
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
  /** engine: false answers without asking the engine (a liveness check every CLI command makes). */
  status(opts?: { engine?: boolean }): Promise<DaemonStatus>;
}


const NameParams = z.object({ name: z.string().min(1).max(128) });

export function registerCoreRoutes(app: FastifyInstance, ctx: AppContext, deps: CoreDeps): void {
  const { sandboxes, terminals, builder, workspaces } = deps;
  const P = API_PREFIX;

  app.get<{ Querystring: { engine?: string } }>(`${P}/status`, async (req) => deps.status({ engine: req.query.engine !== '0' }));
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

  /**
   * Live settings change. `?restart=true` stops a running sandbox, applies the change, and starts
   * it again (for what its runtime cannot take live). The answer says when a change was saved
   * but reaches the running sandbox only after a restart (`restartRequired`, `restartReasons`).
   */
  app.patch(`${P}/sandboxes/:name`, async (req) => {
    const { name } = parse(NameParams, req.params);
    const change = parse(UpdateSandboxRequest, req.body);
    const { restart } = parse(z.object({ restart: z.enum(['true', 'false', '1', '0']).optional() }), req.query);
    const actor = actorOf(req);
    const before = await sandboxes.inspect(name);
    const needs = restartNeeds(before, change);
    if ((restart === 'true' || restart === '1') && before.state === 'running') {
      await sandboxes.stop(name, actor);
      await sandboxes.update(name, change, actor);
      return { sandbox: await sandboxes.start(name, actor), restartRequired: false, restartReasons: [] };
    }
    if (needs.refuse) throw new PaddockError(ErrorCode.Conflict, needs.refuse);
    const answer = await sandboxes.update(name, change, actor);
    // a settings change leaves the agent as it was: its state read before stands
    const sandbox = { ...answer.sandbox, agentState: before.agentState, agentExitCode: before.agentExitCode };
    return { sandbox, restartRequired: answer.restartRequired || needs.reasons.length > 0, restartReasons: needs.reasons };
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

/**
 * What a running sandbox's runtime cannot take live. gVisor (runsc) has no `update`: the engine
 * refuses new CPU/memory/pids limits while it runs (they apply to a stopped one), and its network
 * stack only sees interfaces that existed at start, so a change that connects a network (none →
 * allowlist/open, → open) reaches it after a restart; disconnects and allowlist edits are live.
 * runc takes all of these live.
 */
export function restartNeeds(s: Pick<SandboxInfo, 'name' | 'state' | 'isolation' | 'network' | 'resources'>, change: UpdateSandboxRequest): { refuse: string | null; reasons: string[] } {
  if (s.state !== 'running' || s.isolation !== 'gvisor') return { refuse: null, reasons: [] };
  const resources =
    (change.cpus !== undefined && parseCpus(change.cpus) !== s.resources.cpus) ||
    (change.memory !== undefined && parseMemory(change.memory) !== s.resources.memoryBytes) ||
    (change.pids !== undefined && parsePids(change.pids) !== s.resources.pids);
  if (resources) {
    return {
      refuse: `gVisor cannot change the CPU, memory or process limits of a running sandbox. Apply them with a restart (PATCH /api/v1/sandboxes/${s.name}?restart=true, or Apply and restart in the dashboard), or stop "${s.name}" first.`,
      reasons: [],
    };
  }
  const to = change.network;
  const connects = to !== undefined && to !== s.network && (to === 'open' || s.network === 'none');
  return { refuse: null, reasons: connects ? [`gVisor sees the new network connection of "${s.name}" after a restart.`] : [] };
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
