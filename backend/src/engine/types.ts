/**
 * Paddock's engine interface, split by resource. Implementations return Paddock's own types,
 * never dockerode objects. `docker.ts` is the only file in the project that imports dockerode.
 */
import type { Duplex } from 'node:stream';

/** Docker Engine API container-create body, as built by core/spec.ts (pure). */
export type ContainerCreateBody = Record<string, unknown> & { name: string; Image: string };

export interface ContainerSummary {
  id: string;
  name: string;
  state: string; // engine state: created, running, exited, paused, restarting, removing, dead
  labels: Record<string, string>;
  image: string;
  createdAt: string;
}

export interface ContainerDetails extends ContainerSummary {
  exitCode: number | null;
  oomKilled: boolean;
  env: string[];
  networks: Record<string, { ipAddress: string; networkId: string }>;
  hostConfig: {
    nanoCpus: number;
    memory: number;
    pidsLimit: number | null;
    runtime: string;
    networkMode: string;
  };
  pid: number;
}

export interface ExecOptions {
  cmd: string[];
  user?: string;
  env?: string[];
  workingDir?: string;
}

export interface ExecOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** An interactive TTY exec: a duplex byte stream plus resize and completion. */
export interface TtyExec {
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the process ends. */
  wait(): Promise<number | null>;
}

export interface NetworkSpec {
  name: string;
  internal: boolean;
  labels: Record<string, string>;
  subnet?: string;
  gateway?: string;
}

export interface NetworkSummary {
  id: string;
  name: string;
  internal: boolean;
  labels: Record<string, string>;
  subnets: string[];
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
}

export interface EngineInfo {
  version: string;
  apiVersion: string;
  runtimes: string[];
  defaultRuntime: string;
  cgroupVersion: string;
  securityOptions: string[];
  rootless: boolean;
  userns: boolean;
  os: string;
  kernel: string;
}

export interface BuildProgress {
  (line: string): void;
}

export interface EngineEvent {
  type: string; // container, network, ...
  action: string; // start, die, destroy, ...
  id: string;
  labels: Record<string, string>;
}

export interface ContainerEngine {
  create(body: ContainerCreateBody): Promise<string>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  remove(id: string, opts?: { force?: boolean }): Promise<void>;
  inspect(idOrName: string): Promise<ContainerDetails | null>;
  list(labelFilter: Record<string, string | true>): Promise<ContainerSummary[]>;
  update(id: string, resources: { nanoCpus?: number; memory?: number; pidsLimit?: number }): Promise<void>;
  exec(id: string, opts: ExecOptions): Promise<ExecOutput>;
  execTty(id: string, opts: ExecOptions & { cols: number; rows: number }): Promise<TtyExec>;
  /** Copy a tar archive into a directory of the container. */
  putArchive(id: string, dir: string, tar: Buffer): Promise<void>;
  /** Bytes in the container's writable layer (SizeRw); null when the container is gone or the driver cannot say. */
  sizeRw(id: string): Promise<number | null>;
}

export interface NetworkEngine {
  create(spec: NetworkSpec): Promise<string>;
  remove(idOrName: string): Promise<void>;
  list(labelFilter: Record<string, string | true>): Promise<NetworkSummary[]>;
  inspect(idOrName: string): Promise<NetworkSummary | null>;
  connect(network: string, container: string, opts?: { ipv4?: string; aliases?: string[] }): Promise<void>;
  disconnect(network: string, container: string, force?: boolean): Promise<void>;
}

export interface VolumeEngine {
  create(name: string, labels: Record<string, string>): Promise<void>;
  remove(name: string): Promise<void>;
  list(labelFilter: Record<string, string | true>): Promise<VolumeSummary[]>;
}

export interface ImageEngine {
  exists(ref: string): Promise<boolean>;
  /** Build from a tar context; resolves to the image id. Progress lines go to `onProgress`. */
  build(context: NodeJS.ReadableStream, opts: { tag: string; buildArgs?: Record<string, string>; labels?: Record<string, string>; dockerfile?: string }, onProgress: BuildProgress): Promise<string>;
  tag(source: string, target: string): Promise<void>;
  remove(ref: string): Promise<void>;
  labels(ref: string): Promise<Record<string, string> | null>;
}

export interface Engine {
  readonly containers: ContainerEngine;
  readonly networks: NetworkEngine;
  readonly volumes: VolumeEngine;
  readonly images: ImageEngine;
  info(): Promise<EngineInfo>;
  ping(): Promise<boolean>;
  /** Engine events for Paddock-labelled objects; returns a function that stops the stream. */
  events(onEvent: (e: EngineEvent) => void, onError: (err: Error) => void): Promise<() => void>;
}
