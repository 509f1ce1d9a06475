/**
 * paddockd: the single writer of Paddock's state. Wires the engine, image builder, sandbox and
 * terminal services and feature modules, then serves the API on a Unix socket and 127.0.0.1.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Auth, loadOrCreateToken } from '../api/auth.js';
import type { AppContext, RouteModule } from '../api/context.js';
import { startServers } from '../api/server.js';
import { WorkspaceStore } from '../api/workspaces.js';
import { Label } from '../core/labels.js';
import { PROTOCOL_VERSION, type DaemonStatus } from '../core/protocol.js';
import { DockerEngine } from '../engine/docker.js';
import { ImageBuilder, REPO_ROOT } from '../images/builder.js';
import { SandboxService } from '../sandboxes/service.js';
import { TerminalService } from '../terminal/service.js';
import { DEFAULT_DISK_LIMIT_BYTES, DiskWatch, diskLimitFromEnv } from '../sandboxes/disk-watch.js';
import { maskingLogHooks } from '../secrets/mask.js';
import { registerDoctorRoutes } from '../api/doctor-routes.js';
import { formatBytes } from '../core/sizes.js';
import { EventBus } from './events.js';
import { resolvePaths, resolvePort } from './paths.js';
import { PADDOCK_VERSION } from './version.js';

export const ENGINE_RETRY_MS = 2000; // how often to re-follow engine events after the stream drops

export function extraLabelsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return env.PADDOCK_TEST_RUN ? { [Label.Test]: env.PADDOCK_TEST_RUN } : {};
}

/**
 * Where the TCP listener binds. 127.0.0.1 unless PADDOCK_LISTEN_HOST says otherwise: inside the
 * Docker Desktop extension container it is 0.0.0.0, so the port can be published (on the host's
 * 127.0.0.1 only, see docker-compose.yaml). The Host-header check still only answers 127.0.0.1/localhost.
 */
export function listenHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.PADDOCK_LISTEN_HOST || '127.0.0.1';
}

export async function main(): Promise<void> {
  const paths = resolvePaths();
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  const features = await import('./features.js');
  // every line paddockd logs passes the secrets masker: a secret value never reaches the log file
  const log = pino(
    { level: process.env.PADDOCK_LOG_LEVEL ?? 'info', hooks: maskingLogHooks(features.logMasker) },
    pino.destination({ dest: paths.logPath, sync: false, mkdir: true }),
  );
  const engine = new DockerEngine();
  const events = new EventBus();
  const extraLabels = extraLabelsFromEnv();
  const ctx: AppContext = { engine, events, paths, log, extraLabels, services: {} };
  const builder = new ImageBuilder(engine, extraLabels);
  const sandboxes = new SandboxService(ctx, builder);
  const terminals = new TerminalService(ctx, sandboxes);
  const workspaces = new WorkspaceStore(paths.workspacesPath, homedir());
  ctx.services.sandboxes = sandboxes;
  ctx.services.terminals = terminals;

  const modules: RouteModule[] = [];
  await features.registerFeatures(ctx, sandboxes, modules);
  modules.push(registerDoctorRoutes);

  // engines without storage quotas: stop a sandbox whose writable layer outgrows the bound
  const diskLimit = diskLimitFromEnv(); // null: PADDOCK_DISK_LIMIT=0/off turns the bound off
  const diskWatch = new DiskWatch(engine, {
    limitBytes: diskLimit ?? DEFAULT_DISK_LIMIT_BYTES,
    labels: { ...extraLabels, [Label.Managed]: 'true', [Label.Kind]: 'sandbox' },
    onExceeded: async (e) => {
      log.warn({ sandbox: e.name, sizeRw: e.sizeRw, limit: e.limitBytes }, 'writable layer over the disk limit: stopping the sandbox');
      events.emit({ type: 'toast', level: 'warning', message: `${e.name} wrote more than ${formatBytes(e.limitBytes)} outside its workspace and was stopped (PADDOCK_DISK_LIMIT).` });
      await sandboxes.stop(e.name).catch(() => undefined);
    },
    onError: (err) => log.warn({ err: String(err) }, 'disk watch failed'),
  });
  if (diskLimit !== null) diskWatch.start();
  features.stopHooks.push(async () => diskWatch.stop());

  const port = resolvePort();
  const token = loadOrCreateToken(paths.tokenPath);
  const auth = new Auth(token);
  const url = `http://127.0.0.1:${port}`;

  const status = async (opts: { engine?: boolean } = {}): Promise<DaemonStatus> => {
    let eng: DaemonStatus['engine'] = null;
    let runtimes: DaemonStatus['runtimes'] = [];
    if (opts.engine !== false) {
      try {
        const info = await engine.info();
        eng = { version: info.version, apiVersion: info.apiVersion };
        runtimes = await sandboxes.runtimes();
      } catch {
        // engine down: status still answers, with engine null
      }
    }
    return { version: PADDOCK_VERSION, protocolVersion: PROTOCOL_VERSION, pid: process.pid, socketPath: paths.socketPath, url, engine: eng, runtimes };
  };

  // A restarted paddockd has no live viewers: clear tmux clients the old process left behind.
  // Begun before the servers listen, so a viewer that connects at once waits for it (or it would
  // be detached by it).
  void terminals.detachStale().catch((err: unknown) => log.warn({ err: String(err) }, 'could not detach stale terminal clients'));

  const uiDir = process.env.PADDOCK_UI_DIR ?? join(REPO_ROOT, 'ui', 'dist');
  const servers = await startServers(ctx, { sandboxes, terminals, builder, workspaces, status }, {
    socketPath: paths.socketPath, host: listenHost(), port, uiDir, auth, modules,
  });
  writeFileSync(paths.pidPath, String(process.pid), { mode: 0o600 });
  log.info({ pid: process.pid, url: servers.tcpUrl, socket: paths.socketPath }, 'paddockd started');
  for (const h of features.startHooks) await h().catch((err: unknown) => log.warn({ err: String(err) }, 'start hook failed'));

  // Engine events → sandbox state events for the dashboard (no polling).
  let stopEvents: (() => void) | null = null;
  const follow = async (): Promise<void> => {
    try {
      stopEvents = await engine.events(
        (e) => {
          const name = e.labels[Label.Sandbox];
          if (e.type !== 'container' || !name || e.labels[Label.Kind] !== 'sandbox') return;
          if (!['start', 'die', 'stop', 'pause', 'unpause', 'oom'].includes(e.action)) return;
          void sandboxes.find(name).then((s) => s && events.emit({ type: 'sandbox', action: 'updated', sandbox: s }));
        },
        () => {
          stopEvents = null;
          setTimeout(() => void follow(), ENGINE_RETRY_MS).unref();
        },
      );
    } catch {
      setTimeout(() => void follow(), ENGINE_RETRY_MS).unref();
    }
  };
  void follow();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'paddockd stopping');
    stopEvents?.();
    terminals.closeAll();
    for (const h of features.stopHooks) await h().catch(() => undefined);
    await servers.close();
    rmSync(paths.pidPath, { force: true });
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (err) => {
    log.error({ err: String(err.stack ?? err) }, 'uncaught exception');
  });
  process.on('unhandledRejection', (err) => {
    log.error({ err: String((err as Error)?.stack ?? err) }, 'unhandled rejection');
  });
}
