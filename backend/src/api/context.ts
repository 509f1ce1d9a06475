/**
 * What every route module gets. Route modules export `register…Routes(app, ctx)`; the server
 * mounts them on both listeners (Unix socket and TCP). Actor = who made the request, for audit.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../daemon/events.js';
import type { PaddockPaths } from '../daemon/paths.js';
import type { Engine } from '../engine/types.js';

export type Actor = 'cli' | 'dashboard' | 'api';

export interface AppContext {
  engine: Engine;
  events: EventBus;
  paths: PaddockPaths;
  log: Logger;
  /** Extra labels put on everything paddockd creates (tests set io.paddock.test=<run>). */
  extraLabels: Record<string, string>;
  /** Services registered by feature modules (sandboxes, terminals, egress, secrets, policy, audit). */
  services: Record<string, unknown>;
}

export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

/** Who is calling: the CLI sets `x-paddock-client: cli`; the dashboard uses its session cookie. */
export function actorOf(req: FastifyRequest): Actor {
  const c = req.headers['x-paddock-client'];
  if (c === 'cli') return 'cli';
  if (req.headers.cookie?.includes('paddock_session=')) return 'dashboard';
  return 'api';
}
