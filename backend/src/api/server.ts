/**
 * paddockd's two listeners: a Unix socket (mode 0600, no token: the file mode is the guard) and
 * TCP on 127.0.0.1 (bearer token or session cookie). Both serve the same routes.
 */
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { ZodError } from 'zod';
import { ErrorCode, PaddockError, httpStatusFor } from '../core/errors.js';
import { API_PREFIX, TERMINAL_MAX_INPUT_FRAME_BYTES } from '../core/protocol.js';
import { engineError } from '../engine/docker.js';
import { Auth, SESSION_COOKIE, SESSION_TTL_MS, readCookie } from './auth.js';
import type { AppContext, RouteModule } from './context.js';
import { registerCoreRoutes, type CoreDeps } from './routes.js';

export const MAX_BODY_BYTES = 1 << 20; // requests are small JSON; 1 MiB leaves room for env files

export interface ServerOptions {
  socketPath: string;
  host: string;
  port: number;
  uiDir: string | null;
  auth: Auth;
  modules: RouteModule[];
}

function toPaddockError(err: unknown): PaddockError {
  if (err instanceof PaddockError) return err;
  if (err instanceof ZodError) return new PaddockError(ErrorCode.BadInput, err.issues[0]?.message ?? 'invalid request');
  const fe = err as FastifyError & { code?: string };
  if (fe?.validation || fe?.statusCode === 400 || fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new PaddockError(ErrorCode.BadInput, `Bad request: ${fe.message}`);
  }
  if (fe?.statusCode === 413) return new PaddockError(ErrorCode.BadInput, 'Request body too large (max 1 MiB).');
  if (fe?.statusCode === 404) return new PaddockError(ErrorCode.NotFound, fe.message);
  const code = (err as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') return engineError(err, 'reach the engine');
  return new PaddockError(ErrorCode.Internal, `Internal error: ${(err as Error)?.message ?? String(err)}. See paddockd's log.`);
}

async function buildApp(ctx: AppContext, deps: CoreDeps, opts: ServerOptions, kind: 'unix' | 'tcp'): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, forceCloseConnections: true });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: TERMINAL_MAX_INPUT_FRAME_BYTES },
    // ws answers a protocol error (e.g. 1009 for an oversized frame) with a close frame and is then
    // CLOSING; terminating here, as the default handler does, would race that frame away (1006).
    errorHandler: (error, socket) => {
      ctx.log.warn({ err: String(error) }, 'terminal socket error');
      if (socket.readyState !== socket.CLOSING) socket.terminate();
    },
  });

  app.setErrorHandler((err, req, reply) => {
    const pe = toPaddockError(err);
    if (pe.code === ErrorCode.Internal) ctx.log.error({ err: String((err as Error)?.stack ?? err), url: req.url }, 'request failed');
    void reply.code(httpStatusFor(pe.code)).send({ error: { code: pe.code, message: pe.message, ...(pe.details ? { details: pe.details } : {}) } });
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || !opts.uiDir || kind === 'unix') {
      return reply.code(404).send({ error: { code: ErrorCode.NotFound, message: `No such endpoint: ${req.method} ${req.url.split('?')[0]}` } });
    }
    return reply.sendFile('index.html'); // client-side routes of the dashboard
  });

  if (kind === 'tcp') {
    const allowedHosts = new Set([`127.0.0.1:${opts.port}`, `localhost:${opts.port}`]);
    app.addHook('onRequest', async (req, reply) => {
      // Refuse other Host names: a page on another origin cannot reach us by DNS rebinding.
      if (!allowedHosts.has(String(req.headers.host ?? ''))) {
        return reply.code(403).send({ error: { code: ErrorCode.Unauthorized, message: 'paddockd only answers on 127.0.0.1 / localhost.' } });
      }
      const path = req.url.split('?')[0]!;
      if (path === '/login') return;
      if (!path.startsWith('/api/')) return; // the dashboard's static files hold no data
      const url = new URL(req.url, 'http://x');
      const qToken = url.searchParams.get('token');
      const ok =
        opts.auth.checkBearer(req.headers.authorization) ||
        opts.auth.checkSessionCookie(readCookie(req.headers.cookie, SESSION_COOKIE)) ||
        (path.endsWith('/terminal') && qToken !== null && opts.auth.checkTerminalToken(qToken));
      if (!ok) {
        return reply.code(401).send({ error: { code: ErrorCode.Unauthorized, message: 'Not logged in. Run `paddock dashboard` for a fresh login link.' } });
      }
    });

    app.get('/login', async (req, reply) => {
      const token = new URL(req.url, 'http://x').searchParams.get('token') ?? '';
      if (!opts.auth.redeemLoginToken(token)) {
        return reply.code(401).type('text/html').send('<!doctype html><title>Paddock</title><p>This login link was already used or has expired. Run <code>paddock dashboard</code> for a new one.</p>');
      }
      const cookie = `${SESSION_COOKIE}=${opts.auth.newSessionCookie()}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`;
      return reply.header('set-cookie', cookie).redirect('/');
    });
    if (opts.uiDir && existsSync(opts.uiDir)) {
      await app.register(fastifyStatic, { root: opts.uiDir, prefix: '/', index: ['index.html'], wildcard: true });
    }
  }

  app.post(`${API_PREFIX}/login-tokens`, async () => ({
    url: `http://127.0.0.1:${opts.port}/login?token=${opts.auth.newLoginToken()}`,
  }));
  app.post(`${API_PREFIX}/terminal-token`, async () => ({ ...opts.auth.newTerminalToken(), port: opts.port }));

  registerCoreRoutes(app, ctx, deps);
  for (const m of opts.modules) await m(app, ctx);
  return app;
}

export interface RunningServers {
  tcpUrl: string;
  close(): Promise<void>;
}

export async function startServers(ctx: AppContext, deps: CoreDeps, opts: ServerOptions): Promise<RunningServers> {
  const unixApp = await buildApp(ctx, deps, opts, 'unix');
  const tcpApp = await buildApp(ctx, deps, opts, 'tcp');
  // TCP first: a port in use fails before the socket file is touched.
  try {
    await tcpApp.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PaddockError(ErrorCode.Conflict, `Port ${opts.port} on ${opts.host} is already in use (another paddockd, or another program). Stop it, or choose a free port with PADDOCK_PORT.`);
    }
    throw err;
  }
  if (existsSync(opts.socketPath)) {
    // A live paddockd on this socket keeps it: never take the socket from under a running daemon.
    if (await socketAnswers(opts.socketPath)) {
      await tcpApp.close();
      throw new PaddockError(ErrorCode.Conflict, `Another paddockd already serves ${opts.socketPath}. Use it, or stop it first (paddock daemon stop).`);
    }
    rmSync(opts.socketPath);
  }
  await unixApp.listen({ path: opts.socketPath });
  chmodSync(opts.socketPath, 0o600);
  const addr = tcpApp.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    tcpUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await Promise.allSettled([unixApp.close(), tcpApp.close()]);
    },
  };
}

/** Whether something accepts connections on a Unix socket (a stale file refuses them). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.setTimeout(1000, () => done(false));
  });
}
