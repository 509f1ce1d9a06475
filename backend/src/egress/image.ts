/**
 * The egress proxy image: images/egress/Dockerfile plus the proxy program, generated from the same
 * TypeScript paddockd runs (core/egress-rules.ts, egress/proxy/*). From a built backend (dist/)
 * the compiled .js files are copied; from sources (tests, dev) they are transpiled with the
 * TypeScript compiler. Tagged `paddock/egress:<hash of Dockerfile, program and base image>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-fs';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { Label } from '../core/labels.js';
import type { Engine } from '../engine/types.js';

const SRC_ROOT = fileURLToPath(new URL('../', import.meta.url)); // backend/src or backend/dist
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const EGRESS_IMAGE_DIR = join(process.env.PADDOCK_IMAGES_DIR ?? join(REPO_ROOT, 'images'), 'egress');
export const EGRESS_IMAGE_REPO = 'paddock/egress';
const HASH_LENGTH = 12; // same length as the agent images' tags

/** Every module of the proxy program, relative to the backend's source root, without extension. */
export const PROXY_MODULES: readonly string[] = [
  'core/errors',
  'core/egress-rules',
  'egress/proxy/control-protocol',
  'egress/proxy/decision-log',
  'egress/proxy/dns-responder',
  'egress/proxy/tls-sni',
  'egress/proxy/proxy-server',
  'egress/proxy/main',
];

/** The proxy program as { 'app/<module>.js': source }, plus app/package.json. */
export async function proxyProgram(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let ts: typeof import('typescript') | null = null;
  for (const m of PROXY_MODULES) {
    const js = join(SRC_ROOT, `${m}.js`);
    let code: string;
    if (existsSync(js)) {
      code = readFileSync(js, 'utf8');
    } else {
      ts ??= (await import('typescript')).default;
      const source = readFileSync(join(SRC_ROOT, `${m}.ts`), 'utf8');
      code = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, sourceMap: false },
        fileName: `${m}.ts`,
      }).outputText;
    }
    files.set(`app/${m}.js`, code.replace(/^\/\/# sourceMappingURL=.*$/m, ''));
  }
  files.set('app/package.json', JSON.stringify({ name: 'paddock-egress', private: true, type: 'module' }) + '\n');
  return files;
}

export interface EgressImageInputs {
  files: Map<string, string>;
  tag: string;
}

export async function egressImageInputs(baseImage: string): Promise<EgressImageInputs> {
  const files = await proxyProgram();
  files.set('Dockerfile', readFileSync(join(EGRESS_IMAGE_DIR, 'Dockerfile'), 'utf8'));
  const h = createHash('sha256');
  for (const [name, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) h.update(name).update('\0').update(content).update('\0');
  h.update(baseImage);
  return { files, tag: `${EGRESS_IMAGE_REPO}:${h.digest('hex').slice(0, HASH_LENGTH)}` };
}

/** Build the image unless a image with this content hash exists; resolves to the tag. */
export async function ensureEgressImage(
  engine: Engine,
  opts: { baseImage: string; labels: Record<string, string>; onProgress?: (line: string) => void },
): Promise<string> {
  const { files, tag } = await egressImageInputs(opts.baseImage);
  if (await engine.images.exists(tag)) return tag;
  const dir = mkdtempSync(join(tmpdir(), 'paddock-egress-'));
  try {
    for (const [name, content] of files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    await engine.images.build(
      pack(dir) as unknown as NodeJS.ReadableStream,
      { tag, buildArgs: { BASE_IMAGE: opts.baseImage }, labels: { ...opts.labels, [Label.Managed]: 'true', [Label.Kind]: 'egress' } },
      opts.onProgress ?? (() => {}),
    );
  } catch (err) {
    throw err instanceof PaddockError
      ? err
      : new PaddockError(ErrorCode.ImageBuildFailed, `Building the egress proxy image ${tag} failed: ${(err as Error).message}. Check that the engine can reach a Debian mirror (or set PADDOCK_BASE_IMAGE).`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}
