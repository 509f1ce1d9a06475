/**
 * The Docker implementation of Paddock's engine interface — the only dockerode importer.
 * TTY execs use `Tty: true` so the stream carries raw bytes (no 8-byte frame demux).
 */
import Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { ErrorCode, PaddockError } from '../core/errors.js';
import type {
  BuildProgress, ContainerCreateBody, ContainerDetails, ContainerEngine, ContainerSummary, Engine, EngineEvent,
  EngineInfo, ExecOptions, ExecOutput, ImageEngine, NetworkEngine, NetworkSpec, NetworkSummary, TtyExec, VolumeEngine,
  VolumeSummary,
} from './types.js';

const STOP_TIMEOUT_SECONDS = 5; // agents get SIGTERM, then SIGKILL after this

const EXEC_WATCH_MS = 1000; // how often a running exec checks that it and its container still exist
const EXEC_DRAIN_MS = 300; // grace for output still in flight once the exec is known to be over

export function describeEngineEndpoint(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Translate dockerode/socket errors into PaddockError with a message that says what to do. */
export function engineError(err: unknown, what: string): PaddockError {
  if (err instanceof PaddockError) return err;
  const e = err as { code?: string; statusCode?: number; json?: { message?: string }; message?: string; reason?: string };
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'ECONNRESET' || e?.code === 'EPIPE') {
    return new PaddockError(ErrorCode.EngineUnavailable,
      `The Docker engine at ${describeEngineEndpoint()} is not answering (${e.code}) while trying to ${what}. Start it (run \`npm run preflight\` as root, or start Docker Desktop) and retry.`);
  }
  const msg = e?.json?.message ?? e?.reason ?? e?.message ?? String(err);
  const hidden = pathHiddenFromEngine(msg);
  if (hidden) return hidden;
  if (e?.statusCode === 404) return new PaddockError(ErrorCode.NotFound, `${what}: ${msg}`);
  if (e?.statusCode === 409) return new PaddockError(ErrorCode.Conflict, `${what}: ${msg}`);
  return new PaddockError(ErrorCode.Engine, `The engine refused to ${what}: ${msg.trim()}`);
}

/**
 * The engine cannot see a bind source: it does not exist on the engine's host, or (Docker Desktop)
 * the folder is not shared with the VM. Both read as a bad path, with the fix.
 */
export function pathHiddenFromEngine(msg: string): PaddockError | null {
  const missing = /bind source path does not exist: (\S+)/.exec(msg);
  if (missing) {
    return new PaddockError(ErrorCode.BadInput,
      `The engine cannot see ${missing[1]}: it does not exist on the engine's host. Check the path; with Docker Desktop, also add the folder (or a parent) under Settings → Resources → File sharing, then retry.`);
  }
  const denied = /Mounts denied:?\s*(?:The path )?(\S+)?/i.exec(msg);
  if (denied) {
    const path = denied[1] && denied[1].startsWith('/') ? `${denied[1]} ` : '';
    return new PaddockError(ErrorCode.BadInput,
      `Docker Desktop does not share ${path || 'this folder '}with its engine. Add the folder (or a parent) under Settings → Resources → File sharing, apply, then retry.`);
  }
  return null;
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, what);
  }
}

function labelFilters(filter: Record<string, string | true>): string[] {
  return Object.entries(filter).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

class DockerContainers implements ContainerEngine {
  constructor(private readonly docker: Docker) {}

  create(body: ContainerCreateBody): Promise<string> {
    return wrap(`create container ${body.name}`, async () => {
      const c = await this.docker.createContainer(body as unknown as Docker.ContainerCreateOptions);
      return c.id;
    });
  }

  start(id: string): Promise<void> {
    return wrap(`start container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return; // already running
        throw err;
      }
    });
  }

  stop(id: string, timeoutSeconds = STOP_TIMEOUT_SECONDS): Promise<void> {
    return wrap(`stop container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return; // already stopped
        throw err;
      }
    });
  }

  remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    return wrap(`remove container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: false });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    });
  }

  inspect(idOrName: string): Promise<ContainerDetails | null> {
    return wrap(`inspect container ${idOrName}`, async () => {
      let c: Docker.ContainerInspectInfo;
      try {
        c = await this.docker.getContainer(idOrName).inspect();
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
      const nets: ContainerDetails['networks'] = {};
      for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
        nets[name] = { ipAddress: n.IPAddress, networkId: n.NetworkID };
      }
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        state: c.State.Status,
        labels: c.Config.Labels ?? {},
        image: c.Config.Image,
        createdAt: c.Created,
        exitCode: c.State.Running ? null : c.State.ExitCode,
        oomKilled: c.State.OOMKilled,
        env: c.Config.Env ?? [],
        networks: nets,
        hostConfig: {
          nanoCpus: c.HostConfig.NanoCpus ?? 0,
          memory: c.HostConfig.Memory ?? 0,
          pidsLimit: c.HostConfig.PidsLimit ?? null,
          runtime: (c.HostConfig as { Runtime?: string }).Runtime ?? 'runc',
          networkMode: c.HostConfig.NetworkMode ?? '',
        },
        pid: c.State.Pid,
      };
    });
  }

  sizeRw(id: string): Promise<number | null> {
    return wrap(`read the writable layer size of container ${id}`, async () => {
      try {
        // size=true makes the engine walk the writable layer: slower than a plain inspect, so callers poll sparingly
        const opts = { size: true } as Docker.ContainerInspectOptions; // dockerode passes options as the query; its types lack `size`
        const c = (await this.docker.getContainer(id).inspect(opts)) as { SizeRw?: number };
        return typeof c.SizeRw === 'number' ? c.SizeRw : null;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  list(labelFilter: Record<string, string | true>): Promise<ContainerSummary[]> {
    return wrap('list containers', async () => {
      const all = await this.docker.listContainers({ all: true, filters: { label: labelFilters(labelFilter) } });
      return all.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        state: c.State,
        labels: c.Labels ?? {},
        image: c.Image,
        createdAt: new Date(c.Created * 1000).toISOString(),
      }));
    });
  }

  update(id: string, r: { nanoCpus?: number; memory?: number; pidsLimit?: number }): Promise<void> {
    return wrap(`update container ${id}`, async () => {
      const body: Record<string, number> = {};
      if (r.nanoCpus !== undefined) body.NanoCpus = r.nanoCpus;
      if (r.memory !== undefined) {
        body.Memory = r.memory;
        body.MemorySwap = r.memory; // no swap beyond the memory limit
      }
      if (r.pidsLimit !== undefined) body.PidsLimit = r.pidsLimit;
      await this.docker.getContainer(id).update(body);
    });
  }

  exec(id: string, opts: ExecOptions): Promise<ExecOutput> {
    return wrap(`exec in container ${id}`, async () => {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: opts.cmd, User: opts.user, Env: opts.env, WorkingDir: opts.workingDir,
        AttachStdout: true, AttachStderr: true, Tty: false,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const out = new PassThrough();
      const err = new PassThrough();
      const outChunks: Buffer[] = [];
      const errChunks: Buffer[] = [];
      out.on('data', (b: Buffer) => outChunks.push(b));
      err.on('data', (b: Buffer) => errChunks.push(b));
      this.docker.modem.demuxStream(stream, out, err);
      const stopWatch = this.watchExec(id, exec, stream);
      try {
        await new Promise<void>((resolve, reject) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', reject);
        });
      } finally {
        stopWatch();
      }
      const info = await exec.inspect();
      if (info.Running) {
        throw new PaddockError(ErrorCode.Conflict, `The sandbox's container ${id.slice(0, 12)} stopped while the command was running. Start it again and retry.`);
      }
      return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(outChunks), stderr: Buffer.concat(errChunks) };
    });
  }

  /**
   * Ends an exec's stream once the exec or its container is gone. Under gVisor (runsc) the engine
   * keeps the attach stream open after the container dies, which would hang the caller forever.
   */
  private watchExec(id: string, exec: Docker.Exec, stream: NodeJS.ReadableStream & { destroy?: () => void }): () => void {
    let stopped = false;
    const tick = async (): Promise<void> => {
      if (stopped) return;
      const [ex, c] = await Promise.all([
        exec.inspect().catch(() => null),
        this.docker.getContainer(id).inspect().catch(() => null),
      ]);
      if (stopped) return;
      if (!c?.State?.Running || ex?.Running === false) {
        // let bytes already in flight arrive, then end the stream ourselves
        setTimeout(() => {
          if (!stopped) stream.destroy?.();
        }, EXEC_DRAIN_MS).unref();
        return;
      }
      timer = setTimeout(() => void tick(), EXEC_WATCH_MS);
      timer.unref();
    };
    let timer = setTimeout(() => void tick(), EXEC_WATCH_MS);
    timer.unref();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  execTty(id: string, opts: ExecOptions & { cols: number; rows: number }): Promise<TtyExec> {
    return wrap(`attach a terminal in container ${id}`, async () => {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: opts.cmd, User: opts.user, Env: opts.env, WorkingDir: opts.workingDir,
        AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true,
        ConsoleSize: [opts.rows, opts.cols],
      } as Docker.ExecCreateOptions);
      const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as Duplex;
      const stopWatch = this.watchExec(id, exec, stream);
      stream.once('close', stopWatch);
      let ended: Promise<number | null> | null = null;
      return {
        stream,
        resize: async (cols: number, rows: number) => {
          try {
            await exec.resize({ w: cols, h: rows });
          } catch {
            // the exec may have ended between the viewer's resize and ours; nothing to resize
          }
        },
        wait: () => {
          ended ??= new Promise<void>((resolve) => {
            if (stream.destroyed || stream.readableEnded) return resolve();
            stream.once('close', () => resolve());
            stream.once('end', () => resolve());
          }).then(async () => {
            try {
              return (await exec.inspect()).ExitCode ?? null;
            } catch {
              return null;
            }
          });
          return ended;
        },
      };
    });
  }

  putArchive(id: string, dir: string, tar: Buffer): Promise<void> {
    return wrap(`copy files into container ${id}`, async () => {
      await this.docker.getContainer(id).putArchive(tar, { path: dir });
    });
  }
}

class DockerNetworks implements NetworkEngine {
  constructor(private readonly docker: Docker) {}

  create(spec: NetworkSpec): Promise<string> {
    return wrap(`create network ${spec.name}`, async () => {
      const n = await this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        Internal: spec.internal,
        CheckDuplicate: true,
        Labels: spec.labels,
        ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, ...(spec.gateway ? { Gateway: spec.gateway } : {}) }] } } : {}),
        Options: { 'com.docker.network.bridge.enable_icc': 'true' },
      });
      return n.id;
    });
  }

  remove(idOrName: string): Promise<void> {
    return wrap(`remove network ${idOrName}`, async () => {
      try {
        await this.docker.getNetwork(idOrName).remove();
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    });
  }

  list(labelFilter: Record<string, string | true>): Promise<NetworkSummary[]> {
    return wrap('list networks', async () => {
      const nets = await this.docker.listNetworks({ filters: { label: labelFilters(labelFilter) } });
      return nets.map(toNetworkSummary);
    });
  }

  inspect(idOrName: string): Promise<NetworkSummary | null> {
    return wrap(`inspect network ${idOrName}`, async () => {
      try {
        return toNetworkSummary(await this.docker.getNetwork(idOrName).inspect());
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  connect(network: string, container: string, opts: { ipv4?: string; aliases?: string[] } = {}): Promise<void> {
    return wrap(`connect ${container} to network ${network}`, async () => {
      await this.docker.getNetwork(network).connect({
        Container: container,
        EndpointConfig: {
          ...(opts.ipv4 ? { IPAMConfig: { IPv4Address: opts.ipv4 } } : {}),
          ...(opts.aliases ? { Aliases: opts.aliases } : {}),
        },
      });
    });
  }

  disconnect(network: string, container: string, force = true): Promise<void> {
    return wrap(`disconnect ${container} from network ${network}`, async () => {
      try {
        await this.docker.getNetwork(network).disconnect({ Container: container, Force: force });
      } catch (err) {
        if (isNotFound(err)) return;
        const msg = String((err as { json?: { message?: string } }).json?.message ?? '');
        if (/is not connected/.test(msg)) return;
        throw err;
      }
    });
  }
}

function toNetworkSummary(n: Docker.NetworkInspectInfo): NetworkSummary {
  return {
    id: n.Id,
    name: n.Name,
    internal: n.Internal,
    labels: n.Labels ?? {},
    subnets: (n.IPAM?.Config ?? []).map((c) => (c as { Subnet?: string }).Subnet ?? '').filter(Boolean),
  };
}

class DockerVolumes implements VolumeEngine {
  constructor(private readonly docker: Docker) {}

  create(name: string, labels: Record<string, string>): Promise<void> {
    return wrap(`create volume ${name}`, async () => {
      await this.docker.createVolume({ Name: name, Labels: labels });
    });
  }

  remove(name: string): Promise<void> {
    return wrap(`remove volume ${name}`, async () => {
      try {
        await this.docker.getVolume(name).remove();
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    });
  }

  list(labelFilter: Record<string, string | true>): Promise<VolumeSummary[]> {
    return wrap('list volumes', async () => {
      const res = await this.docker.listVolumes({ filters: { label: labelFilters(labelFilter) } });
      return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    });
  }
}

class DockerImages implements ImageEngine {
  constructor(private readonly docker: Docker) {}

  exists(ref: string): Promise<boolean> {
    return wrap(`inspect image ${ref}`, async () => {
      try {
        await this.docker.getImage(ref).inspect();
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  labels(ref: string): Promise<Record<string, string> | null> {
    return wrap(`inspect image ${ref}`, async () => {
      try {
        const info = await this.docker.getImage(ref).inspect();
        return info.Config?.Labels ?? {};
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  build(context: NodeJS.ReadableStream, opts: { tag: string; buildArgs?: Record<string, string>; labels?: Record<string, string>; dockerfile?: string }, onProgress: BuildProgress): Promise<string> {
    return wrap(`build image ${opts.tag}`, async () => {
      const stream = await this.docker.buildImage(context, {
        t: opts.tag,
        buildargs: opts.buildArgs ?? {},
        labels: opts.labels ?? {},
        dockerfile: opts.dockerfile ?? 'Dockerfile',
        rm: true,
        forcerm: true,
      } as Docker.ImageBuildOptions);
      let imageId = '';
      let failure: string | null = null;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (ev: { stream?: string; error?: string; aux?: { ID?: string }; status?: string }) => {
            if (ev.error) failure = ev.error;
            if (ev.aux?.ID) imageId = ev.aux.ID;
            const text = ev.stream ?? ev.status;
            if (text) for (const line of text.split('\n')) if (line.trim()) onProgress(line.trimEnd());
          },
        );
      });
      if (failure) throw new PaddockError(ErrorCode.ImageBuildFailed, `Building ${opts.tag} failed: ${String(failure).trim()}`);
      return imageId;
    });
  }

  tag(source: string, target: string): Promise<void> {
    return wrap(`tag image ${source}`, async () => {
      const idx = target.lastIndexOf(':');
      const repo = idx > target.lastIndexOf('/') ? target.slice(0, idx) : target;
      const tag = idx > target.lastIndexOf('/') ? target.slice(idx + 1) : 'latest';
      await this.docker.getImage(source).tag({ repo, tag });
    });
  }

  remove(ref: string): Promise<void> {
    return wrap(`remove image ${ref}`, async () => {
      try {
        await this.docker.getImage(ref).remove();
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    });
  }
}

export class DockerEngine implements Engine {
  readonly containers: ContainerEngine;
  readonly networks: NetworkEngine;
  readonly volumes: VolumeEngine;
  readonly images: ImageEngine;
  private readonly docker: Docker;

  constructor(docker?: Docker) {
    this.docker = docker ?? new Docker();
    this.containers = new DockerContainers(this.docker);
    this.networks = new DockerNetworks(this.docker);
    this.volumes = new DockerVolumes(this.docker);
    this.images = new DockerImages(this.docker);
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  info(): Promise<EngineInfo> {
    return wrap('read engine info', async () => {
      const [info, version] = await Promise.all([this.docker.info(), this.docker.version()]);
      const secOpts: string[] = info.SecurityOptions ?? [];
      return {
        version: version.Version,
        apiVersion: version.ApiVersion,
        runtimes: Object.keys(info.Runtimes ?? {}),
        defaultRuntime: info.DefaultRuntime ?? 'runc',
        cgroupVersion: String(info.CgroupVersion ?? ''),
        securityOptions: secOpts,
        rootless: secOpts.some((s) => s.includes('rootless')),
        userns: secOpts.some((s) => s.includes('userns')),
        os: info.OperatingSystem ?? '',
        kernel: info.KernelVersion ?? '',
      };
    });
  }

  async events(onEvent: (e: EngineEvent) => void, onError: (err: Error) => void): Promise<() => void> {
    const stream = (await wrap('follow engine events', () =>
      this.docker.getEvents({ filters: { label: ['io.paddock.managed'], type: ['container', 'network'] } }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        try {
          const ev = JSON.parse(line) as { Type: string; Action: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
          onEvent({ type: ev.Type, action: ev.Action, id: ev.Actor?.ID ?? '', labels: ev.Actor?.Attributes ?? {} });
        } catch {
          // a malformed event line is skipped; the next state read reconciles
        }
      }
    });
    stream.on('error', (err: Error) => onError(err));
    stream.on('end', () => onError(new Error('engine event stream ended')));
    return () => stream.destroy();
  }
}
