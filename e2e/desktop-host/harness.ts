/**
 * A stand-in for Docker Desktop's extension host, for machines without Docker Desktop. It emulates
 * the host, not the product: everything it runs comes out of the built extension image.
 *
 *  1. metadata.json, the Compose file it names, the icon and the UI root are copied out of the image.
 *  2. The backend service of the Compose file is started with plain `docker run`, exactly as the file
 *     says (environment, volumes, ports), with what Docker Desktop itself provides:
 *     - /run/guest-services: a host folder, so the harness can reach the socket named in
 *       metadata.json vm.exposes.socket (Docker Desktop proxies vm.service to that socket);
 *     - /var/run/docker.sock.raw (the socket inside Docker Desktop's VM) is this host's engine socket;
 *     - named volumes are created (labelled) as Compose would.
 *  3. The UI folder is served over HTTP (Chromium refuses module scripts from file://; Docker Desktop
 *     has its own loader) under a sub-path, so absolute asset URLs would fail as they would in the app.
 *  4. `window.ddClient` (see ddClientScript) implements the SDK calls the UI uses; vm.service goes to
 *     this bridge, which forwards to the backend's Unix socket (a browser cannot open one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, posix, resolve, sep } from 'node:path';
import YAML from 'yaml';

export const TEST_LABEL = 'io.paddock.test';
export const GUEST_SERVICES = '/run/guest-services';
/** Docker Desktop mounts its VM's engine socket from this path; on a plain Linux host that is the host's socket. */
export const DESKTOP_ENGINE_SOCKET = '/var/run/docker.sock.raw';
export const HOST_ENGINE_SOCKET = process.env.PADDOCK_HOST_ENGINE_SOCKET ?? '/var/run/docker.sock';
const UI_MOUNT = '/extension-ui/'; // a sub-path on purpose: the UI must not depend on being served at /
const BACKEND_READY_MS = 60_000; // paddockd answers on its socket within seconds; allow a cold engine
const BRIDGE_TIMEOUT_MS = 15 * 60_000; // POST /sandboxes may build the agent image first

export interface HostCall {
  api: 'toast.success' | 'toast.warning' | 'toast.error' | 'dialog.showOpenDialog' | 'host.openExternal';
  args: unknown[];
  at: number;
}

export interface DesktopHostOptions {
  image: string;
  runId: string;
  /** What desktopUI.dialog.showOpenDialog answers (the folder "picked" by the user). */
  pickedFolder: string;
  /**
   * Test-only environment added to the backend service (never part of the product):
   * labels for cleanup, and the locally bootstrapped base image where no registry answers.
   */
  extraEnv?: Record<string, string>;
}

interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | null> | string[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[];
  command?: string | string[];
  user?: string;
}

export interface ExtensionFiles {
  metadata: {
    icon: string;
    ui: { 'dashboard-tab': { title: string; root: string; src: string } };
    vm: { composefile: string; exposes: { socket: string } };
  };
  compose: { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
  composeText: string;
  uiDir: string;
  dir: string;
}

function docker(args: string[]): string {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** metadata.json, the Compose file and the UI folder, read out of the image (nothing in it runs). */
export function readExtensionFiles(image: string, runId: string): ExtensionFiles {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-desktop-host-'));
  const id = docker(['create', '--label', `${TEST_LABEL}=${runId}`, image, 'true']).trim();
  try {
    docker(['cp', `${id}:/metadata.json`, join(dir, 'metadata.json')]);
    const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as ExtensionFiles['metadata'];
    const composeFile = metadata.vm?.composefile;
    if (!composeFile) throw new Error(`${image}: metadata.json has no vm.composefile`);
    docker(['cp', `${id}:${posix.join('/', composeFile)}`, join(dir, 'compose.yaml')]);
    const tab = metadata.ui?.['dashboard-tab'];
    if (!tab?.root) throw new Error(`${image}: metadata.json has no ui.dashboard-tab.root`);
    docker(['cp', `${id}:${tab.root}`, join(dir, 'ui')]);
    docker(['cp', `${id}:${posix.join('/', metadata.icon)}`, join(dir, 'ui-icon')]);
    const composeText = readFileSync(join(dir, 'compose.yaml'), 'utf8');
    return { metadata, compose: YAML.parse(composeText) as ExtensionFiles['compose'], composeText, uiDir: join(dir, 'ui'), dir };
  } finally {
    spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
}

function envOf(svc: ComposeService): Record<string, string> {
  if (Array.isArray(svc.environment)) {
    return Object.fromEntries(svc.environment.map((e) => [e.split('=')[0]!, e.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Compose's ${DESKTOP_PLUGIN_IMAGE} is the extension image itself. */
function interpolate(s: string, image: string): string {
  return s.replaceAll('${DESKTOP_PLUGIN_IMAGE}', image);
}

export interface BackendPlan {
  service: string;
  args: string[];
  socketPath: string; // on this host
  ports: { hostIp: string; hostPort: number; containerPort: number }[];
  volumes: string[]; // named volumes created for it
  env: Record<string, string>;
}

/** `docker run` arguments for the backend service, translated one to one from the Compose file. */
export function planBackend(files: ExtensionFiles, opts: DesktopHostOptions, guestServicesDir: string): BackendPlan {
  const entries = Object.entries(files.compose.services ?? {});
  const found = entries.find(([, s]) => s.image === '${DESKTOP_PLUGIN_IMAGE}') ?? entries[0];
  if (!found) throw new Error('the Compose file defines no service');
  const [service, svc] = found;
  const project = `paddock-desktop-host-${opts.runId}`;
  const env = { ...envOf(svc), ...(opts.extraEnv ?? {}) };
  const args = ['run', '-d', '--name', `${project}-${service}`, '--label', `${TEST_LABEL}=${opts.runId}`, '--label', `com.docker.compose.project=${project}`];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  const volumes: string[] = [];
  let guestServicesMounted = false;
  for (const v of svc.volumes ?? []) {
    const parsed = typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] ?? v.split(':')[0]!, read_only: v.split(':')[2] === 'ro' } : v;
    let source = parsed.source ?? '';
    const ro = parsed.read_only ? ':ro' : '';
    if (source === DESKTOP_ENGINE_SOCKET) source = HOST_ENGINE_SOCKET; // what Docker Desktop's VM provides
    else if (!source.startsWith('/') && !source.startsWith('.')) {
      const name = `${project}_${source}`; // Compose's naming of named volumes
      docker(['volume', 'create', '--label', `${TEST_LABEL}=${opts.runId}`, name]);
      volumes.push(name);
      source = name;
    }
    if (parsed.target === GUEST_SERVICES) guestServicesMounted = true;
    args.push('-v', `${source}:${parsed.target}${ro}`);
  }
  // Docker Desktop provides /run/guest-services to every extension backend.
  if (!guestServicesMounted) args.push('-v', `${guestServicesDir}:${GUEST_SERVICES}`);
  const ports: BackendPlan['ports'] = [];
  for (const p of svc.ports ?? []) {
    const spec = typeof p === 'object' ? `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}` : String(p);
    const parts = spec.split(':');
    const containerPort = Number(parts.pop());
    const hostPort = Number(parts.pop() || containerPort);
    const hostIp = parts.pop() || '0.0.0.0';
    ports.push({ hostIp, hostPort, containerPort });
    args.push('-p', `${hostIp}:${hostPort}:${containerPort}`);
  }
  if (svc.user) args.push('--user', svc.user);
  args.push(interpolate(svc.image ?? '${DESKTOP_PLUGIN_IMAGE}', opts.image));
  if (svc.command) args.push(...(Array.isArray(svc.command) ? svc.command : svc.command.split(/\s+/)));
  const socketName = files.metadata.vm.exposes.socket;
  return { service, args, socketPath: join(guestServicesDir, socketName), ports, volumes, env };
}

export interface SocketAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** One HTTP request over the backend's Unix socket: what Docker Desktop does for vm.service. */
export function socketRequest(socketPath: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<SocketAnswer> {
  return new Promise((ok, fail) => {
    const req = httpRequest({ socketPath, method, path: url, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) }) }, timeout: BRIDGE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${BRIDGE_TIMEOUT_MS} ms`)));
    req.on('error', fail);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

export class DesktopHost {
  readonly calls: HostCall[] = [];
  private server: Server | null = null;
  private containerId: string | null = null;
  private plan: BackendPlan | null = null;
  private guestServicesDir: string | null = null;
  files: ExtensionFiles | null = null;
  uiUrl = '';

  constructor(readonly opts: DesktopHostOptions) {}

  async start(): Promise<void> {
    this.files = readExtensionFiles(this.opts.image, this.opts.runId);
    this.guestServicesDir = mkdtempSync(join(tmpdir(), 'paddock-guest-services-'));
    this.plan = planBackend(this.files, this.opts, this.guestServicesDir);
    this.containerId = docker(this.plan.args).trim();
    await this.waitForBackend();
    await this.startBridge();
  }

  get backendPlan(): BackendPlan {
    if (!this.plan) throw new Error('not started');
    return this.plan;
  }

  get backendContainer(): string {
    if (!this.containerId) throw new Error('not started');
    return this.containerId;
  }

  backendLogs(): string {
    if (!this.containerId) return '';
    const r = spawnSync('docker', ['logs', '--tail', '50', this.containerId], { encoding: 'utf8' });
    const log = spawnSync('docker', ['exec', this.containerId, 'sh', '-c', 'tail -n 50 "$PADDOCK_STATE_DIR/paddockd.log"'], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}\n--- paddockd.log ---\n${log.stdout}`;
  }

  private async waitForBackend(): Promise<void> {
    const socket = this.backendPlan.socketPath;
    const deadline = Date.now() + BACKEND_READY_MS;
    let last = '';
    while (Date.now() < deadline) {
      const state = docker(['inspect', '-f', '{{.State.Status}}', this.backendContainer]).trim();
      if (state === 'exited' || state === 'dead') throw new Error(`the backend container ${state}:\n${this.backendLogs()}`);
      if (existsSync(socket)) {
        try {
          const r = await socketRequest(socket, 'GET', '/api/v1/status', {});
          if (r.status === 200) return;
          last = `${r.status} ${r.body}`;
        } catch (e) {
          last = (e as Error).message;
        }
      }
      await new Promise((ok) => setTimeout(ok, 250));
    }
    throw new Error(`the backend never answered on ${socket} (${last}):\n${this.backendLogs()}`);
  }

  private startBridge(): Promise<void> {
    const files = this.files!;
    const tab = files.metadata.ui['dashboard-tab'];
    const uiRoot = resolve(files.uiDir);
    this.server = createServer((req, res) => {
      void this.handle(req, res, uiRoot).catch((e: unknown) => sendJson(res, 500, { error: String(e) }));
    });
    return new Promise((ok) => {
      this.server!.listen(0, '127.0.0.1', () => {
        const addr = this.server!.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        this.uiUrl = `http://127.0.0.1:${port}${UI_MOUNT}${tab.src}`;
        ok();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, uiRoot: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host');
    if (req.method === 'POST' && url.pathname === '/__desktop-host/vm-service') {
      const { method, url: target, headers, data } = JSON.parse(await readBody(req)) as { method: string; url: string; headers?: Record<string, string>; data?: unknown };
      const body = data === undefined || data === null ? undefined : typeof data === 'string' ? data : JSON.stringify(data);
      try {
        sendJson(res, 200, await socketRequest(this.backendPlan.socketPath, method, target, headers ?? {}, body));
      } catch (e) {
        sendJson(res, 502, { error: (e as Error).message });
      }
      return;
    }
    if (req.method === 'POST' && url.pathname === '/__desktop-host/call') {
      const call = JSON.parse(await readBody(req)) as Omit<HostCall, 'at'>;
      this.calls.push({ ...call, at: Date.now() });
      if (call.api === 'dialog.showOpenDialog') return sendJson(res, 200, { canceled: false, filePaths: [this.opts.pickedFolder] });
      return sendJson(res, 200, {});
    }
    if (req.method === 'GET' && url.pathname.startsWith(UI_MOUNT)) {
      const rel = decodeURIComponent(url.pathname.slice(UI_MOUNT.length)) || 'index.html';
      const file = normalize(join(uiRoot, rel));
      if (!file.startsWith(uiRoot + sep) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  }

  /** Stops and removes everything this run created: the backend, its volume, sandboxes and networks paddockd made. */
  async stop(): Promise<void> {
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
    reapTestRun(this.opts.runId);
    if (this.guestServicesDir) rmSync(this.guestServicesDir, { recursive: true, force: true });
    if (this.files) rmSync(this.files.dir, { recursive: true, force: true });
  }
}

/** Removes containers, then networks and volumes, labelled with this run (the label paddockd adds via PADDOCK_TEST_RUN too). */
export function reapTestRun(runId: string): void {
  const filter = ['--filter', `label=${TEST_LABEL}=${runId}`];
  const list = (kind: string[]) => spawnSync('docker', [...kind, ...filter], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const containers = list(['ps', '-aq']);
  if (containers.length) spawnSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
  const networks = list(['network', 'ls', '-q']);
  if (networks.length) spawnSync('docker', ['network', 'rm', ...networks], { stdio: 'ignore' });
  const volumes = list(['volume', 'ls', '-q']);
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
}

/**
 * The `window.ddClient` the page gets before its own scripts run (Playwright addInitScript),
 * shaped like @docker/extension-api-client-types v1 for the calls Paddock's UI makes.
 * vm.service answers like Docker Desktop: the parsed JSON body (or text) on 2xx, otherwise a
 * rejection `{ name, message: <body text>, statusCode }`.
 */
export function ddClientScript(): string {
  return `(${installDdClient.toString()})();`;
}

/* Runs in the page: no closures over Node values. */
function installDdClient(): void {
  const post = async (path: string, payload: unknown): Promise<any> => {
    const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
    return r.json();
  };
  const request = async (config: { url: string; method: string; headers?: Record<string, string>; data?: unknown }): Promise<unknown> => {
    const a = (await post('/__desktop-host/vm-service', config)) as { status?: number; contentType?: string; body?: string; error?: string };
    if (a.status === undefined) throw { name: 'Error', message: a.error ?? 'the extension backend is not reachable', statusCode: 503 };
    if (a.status < 200 || a.status >= 300) throw { name: 'Error', message: a.body ?? '', statusCode: a.status };
    if (!a.body) return undefined;
    if ((a.contentType ?? '').includes('json')) return JSON.parse(a.body);
    return a.body;
  };
  const call = (api: string) => (...args: unknown[]) => void post('/__desktop-host/call', { api, args });
  const json = { 'Content-Type': 'application/json' };
  (window as unknown as { ddClient: unknown }).ddClient = {
    extension: {
      vm: {
        service: {
          request,
          get: (url: string) => request({ url, method: 'GET', headers: {}, data: null }),
          head: (url: string) => request({ url, method: 'HEAD', headers: {}, data: null }),
          delete: (url: string) => request({ url, method: 'DELETE', headers: {}, data: null }),
          post: (url: string, data: unknown) => request({ url, method: 'POST', headers: json, data }),
          put: (url: string, data: unknown) => request({ url, method: 'PUT', headers: json, data }),
          patch: (url: string, data: unknown) => request({ url, method: 'PATCH', headers: json, data }),
        },
      },
    },
    desktopUI: {
      toast: { success: call('toast.success'), warning: call('toast.warning'), error: call('toast.error') },
      dialog: { showOpenDialog: (props: unknown) => post('/__desktop-host/call', { api: 'dialog.showOpenDialog', args: [props] }) },
    },
    host: {
      platform: 'linux',
      arch: 'x64',
      hostname: 'desktop-host-harness',
      openExternal: call('host.openExternal'),
    },
  };
}

/** Makes a folder (a stand-in for one shared with Docker Desktop) owned by `uid:gid`. */
export function makeWorkspace(prefix: string, uid = 1000, gid = 1000): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(dir, { recursive: true });
  execFileSync('chown', [`${uid}:${gid}`, dir]);
  return dir;
}
