#!/usr/bin/env node
/**
 * Builds the Docker Desktop extension image from the repository root Dockerfile.
 *   node extension/build.mjs [--tag <image>]        (default paddock/desktop-extension:<version>)
 * Base image: $PADDOCK_BASE_IMAGE if set; else the public debian:trixie-slim when the engine has
 * it; else the locally bootstrapped paddock/bootstrap:trixie when present (no registry here);
 * else debian:trixie-slim, pulled by the build.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TAG, REPO, VERSION, tagFromArgs } from './config.mjs';

export const PUBLIC_BASE = 'debian:trixie-slim';
export const LOCAL_BASE = 'paddock/bootstrap:trixie';

const hasImage = (ref) => spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;

export function baseImage() {
  if (process.env.PADDOCK_BASE_IMAGE) return process.env.PADDOCK_BASE_IMAGE;
  if (hasImage(PUBLIC_BASE)) return PUBLIC_BASE;
  if (hasImage(LOCAL_BASE)) return LOCAL_BASE;
  return PUBLIC_BASE;
}

/** Host CAs (for TLS-intercepting proxies) into extension/extra-ca/, which the Dockerfile copies. */
export function stageExtraCas() {
  const staged = join(REPO, 'extension', 'extra-ca');
  for (const f of readdirSync(staged)) if (f.endsWith('.crt')) rmSync(join(staged, f));
  const from = process.env.PADDOCK_EXTRA_CA_DIR ?? '/usr/local/share/ca-certificates';
  let names = [];
  try {
    names = readdirSync(from).filter((f) => f.endsWith('.crt'));
  } catch {
    // no extra CAs on this host
  }
  for (const f of names) copyFileSync(join(from, f), join(staged, f));
  return names;
}

export function build(tag, { quiet = false } = {}) {
  const base = baseImage();
  const cas = stageExtraCas();
  if (!quiet && cas.length) console.log(`paddock: adding the host's extra CA certificates: ${cas.join(', ')}`);
  if (!quiet) console.log(`paddock: building ${tag} (base ${base})`);
  // The classic builder is enough (no BuildKit-only syntax), and the only one on Docker 20.10 without buildx.
  const r = spawnSync('docker', ['build', '--build-arg', `BASE_IMAGE=${base}`, '--build-arg', `VERSION=${VERSION}`, '-t', tag, '.'], {
    cwd: REPO,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { DOCKER_BUILDKIT: '0', ...process.env },
  });
  if (r.status !== 0) throw new Error(`docker build of ${tag} failed (exit ${r.status})`);
  return tag;
}

export { DEFAULT_TAG, tagFromArgs };

if (process.argv[1]?.endsWith('build.mjs')) {
  try {
    const tag = build(tagFromArgs());
    console.log(`paddock: built ${tag}. Next: npm run extension:validate, then npm run extension:install`);
  } catch (e) {
    console.error(`paddock: ${e.message}`);
    process.exit(1);
  }
}
