/**
 * Builds Paddock's images on first use, tagged by a content hash of their inputs, and rebuilds
 * only when that hash changes. Where no registry answers, the Debian base is bootstrapped
 * locally (scripts/bootstrap-base.sh) and passed to the unchanged Dockerfiles as BASE_IMAGE.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-fs';
import type { AgentDefinition } from '../core/agents.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import type { ImageState } from '../core/protocol.js';
import type { Engine } from '../engine/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const IMAGES_DIR = process.env.PADDOCK_IMAGES_DIR ?? join(REPO_ROOT, 'images');
export const PUBLIC_BASE_IMAGE = 'debian:trixie-slim';
export const LOCAL_BOOTSTRAP_IMAGE = 'paddock/bootstrap:trixie';
const HASH_LENGTH = 12; // 48 bits of content hash: collisions are not a practical concern for local tags
const PULL_TIMEOUT_MS = 20_000; // a registry that has not answered by then is treated as unreachable

export type Progress = (line: string) => void;

/** sha256 over every file's relative path and bytes under dir, plus extra strings. */
export function hashDir(dir: string, extra: string[] = []): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        h.update(relative(dir, p)).update('\0').update(String(statSync(p).mode & 0o111 ? 'x' : '-')).update(readFileSync(p)).update('\0');
      }
    }
  };
  walk(dir);
  for (const e of extra) h.update(e).update('\0');
  return h.digest('hex').slice(0, HASH_LENGTH);
}

export class ImageBuilder {
  private readonly inflight = new Map<string, Promise<string>>();
  private baseSource: Promise<string> | null = null;
  private readonly building = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly labels: Record<string, string> = {},
  ) {}

  /** Where the Debian base comes from: PADDOCK_BASE_IMAGE, a local/pullable public image, or a local bootstrap. */
  private resolveBaseSource(progress: Progress): Promise<string> {
    this.baseSource ??= (async () => {
      const configured = process.env.PADDOCK_BASE_IMAGE;
      if (configured) {
        if (!(await this.engine.images.exists(configured))) {
          throw new PaddockError(ErrorCode.ImageBuildFailed, `PADDOCK_BASE_IMAGE=${configured} is not present in the engine. Build or load it, or unset PADDOCK_BASE_IMAGE.`);
        }
        return configured;
      }
      if (await this.engine.images.exists(PUBLIC_BASE_IMAGE)) return PUBLIC_BASE_IMAGE;
      if (await this.engine.images.exists(LOCAL_BOOTSTRAP_IMAGE)) return LOCAL_BOOTSTRAP_IMAGE;
      if (process.env.PADDOCK_OFFLINE !== '1' && (await tryPull(PUBLIC_BASE_IMAGE, progress))) return PUBLIC_BASE_IMAGE;
      progress(`no registry answered; bootstrapping ${LOCAL_BOOTSTRAP_IMAGE} locally with debootstrap`);
      await runScript(join(REPO_ROOT, 'scripts', 'bootstrap-base.sh'), [LOCAL_BOOTSTRAP_IMAGE], progress);
      return LOCAL_BOOTSTRAP_IMAGE;
    })();
    this.baseSource.catch(() => {
      this.baseSource = null; // let a later attempt retry
    });
    return this.baseSource;
  }

  /** Tag of the Paddock base image for the current inputs (may not be built yet). */
  async baseTag(progress: Progress = () => {}): Promise<string> {
    const source = await this.resolveBaseSource(progress);
    return `paddock/base:${hashDir(join(IMAGES_DIR, 'base'), [source, ...extraCaHashInputs()])}`;
  }

  /** The image an agent runs in, without building it. Null when its base is not resolvable yet. */
  async agentTag(agent: AgentDefinition): Promise<string> {
    if (agent.image) return agent.image;
    const base = await this.baseTagIfKnown();
    const dir = agentContextDir(agent);
    return `paddock/agent-${agent.name}:${hashDir(dir, [base])}`;
  }

  private async baseTagIfKnown(): Promise<string> {
    // Without triggering a bootstrap: use whichever source is already present.
    const configured = process.env.PADDOCK_BASE_IMAGE;
    let source = configured ?? LOCAL_BOOTSTRAP_IMAGE;
    if (!configured && (await this.engine.images.exists(PUBLIC_BASE_IMAGE))) source = PUBLIC_BASE_IMAGE;
    return `paddock/base:${hashDir(join(IMAGES_DIR, 'base'), [source, ...extraCaHashInputs()])}`;
  }

  async state(agent: AgentDefinition): Promise<ImageState> {
    const tag = await this.agentTag(agent);
    if (this.building.has(tag)) return 'building';
    return (await this.engine.images.exists(tag)) ? 'ready' : 'absent';
  }

  /** Build (if needed) and return the agent's image reference. */
  async ensureAgent(agent: AgentDefinition, progress: Progress = () => {}): Promise<string> {
    if (agent.image) {
      if (!(await this.engine.images.exists(agent.image))) {
        throw new PaddockError(ErrorCode.ImageBuildFailed, `Image ${agent.image} for custom agent "${agent.name}" is not in the engine. Build or load it (docker build/load), then retry.`);
      }
      return agent.image;
    }
    const base = await this.ensureBase(progress);
    const dir = agentContextDir(agent);
    const tag = `paddock/agent-${agent.name}:${hashDir(dir, [base])}`;
    return this.buildOnce(tag, dir, { BASE_IMAGE: base }, progress);
  }

  async ensureBase(progress: Progress = () => {}): Promise<string> {
    const source = await this.resolveBaseSource(progress);
    const tag = await this.baseTag(progress);
    if (await this.engine.images.exists(tag)) return tag;
    const staged = stageBaseContext();
    try {
      return await this.buildOnce(tag, staged, { BASE_IMAGE: source }, progress);
    } finally {
      rmSync(staged, { recursive: true, force: true });
    }
  }

  /** Build a directory's Dockerfile under `tag` unless that tag exists; concurrent callers share one build. */
  async buildOnce(tag: string, dir: string, buildArgs: Record<string, string>, progress: Progress): Promise<string> {
    if (await this.engine.images.exists(tag)) return tag;
    const running = this.inflight.get(tag);
    if (running) return running;
    const job = (async () => {
      this.building.add(tag);
      progress(`building ${tag}`);
      try {
        await this.engine.images.build(pack(dir) as unknown as NodeJS.ReadableStream, { tag, buildArgs, labels: { ...this.labels, 'io.paddock.managed': 'true', 'io.paddock.kind': 'image' } }, progress);
      } finally {
        this.building.delete(tag);
      }
      if (!(await this.engine.images.exists(tag))) {
        throw new PaddockError(ErrorCode.ImageBuildFailed, `Building ${tag} finished without producing the image. Check the build output above.`);
      }
      progress(`built ${tag}`);
      return tag;
    })();
    this.inflight.set(tag, job);
    try {
      return await job;
    } finally {
      this.inflight.delete(tag);
    }
  }
}

export function agentContextDir(agent: AgentDefinition): string {
  if (agent.contextDir) return agent.contextDir;
  if (!agent.imageDir) throw new PaddockError(ErrorCode.BadInput, `Agent "${agent.name}" has neither an image nor a Dockerfile.`);
  const dir = join(IMAGES_DIR, 'agents', agent.imageDir);
  if (!existsSync(join(dir, 'Dockerfile'))) {
    throw new PaddockError(ErrorCode.ImageBuildFailed, `Missing ${join(dir, 'Dockerfile')}; the Paddock checkout looks incomplete.`);
  }
  return dir;
}

/** Host CA certificates (for TLS-intercepting proxies) that go into the base image. */
export function extraCaFiles(): string[] {
  const dir = process.env.PADDOCK_EXTRA_CA_DIR ?? '/usr/local/share/ca-certificates';
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.crt')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function extraCaHashInputs(): string[] {
  return extraCaFiles().map((f) => `${f}:${createHash('sha256').update(readFileSync(f)).digest('hex')}`);
}

/** images/base plus the host's extra CAs in extra-ca/, in a temporary build context. */
function stageBaseContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-base-'));
  cpSync(join(IMAGES_DIR, 'base'), dir, { recursive: true });
  for (const f of extraCaFiles()) copyFileSync(f, join(dir, 'extra-ca', basename(f)));
  return dir;
}

function tryPull(image: string, progress: Progress): Promise<boolean> {
  return new Promise((resolve) => {
    progress(`trying to pull ${image}`);
    const child = spawn('docker', ['pull', '-q', image], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), PULL_TIMEOUT_MS);
    child.on('error', () => resolve(false));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

function runScript(script: string, args: string[], progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b: Buffer) => b.toString().split('\n').filter(Boolean).forEach((l) => progress(l));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new PaddockError(ErrorCode.ImageBuildFailed, `Could not run ${script}: ${err.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new PaddockError(ErrorCode.ImageBuildFailed, `Bootstrapping the base image failed (exit ${code}). See the lines above; set PADDOCK_BASE_IMAGE to an existing Debian image to skip it.`)),
    );
  });
}
