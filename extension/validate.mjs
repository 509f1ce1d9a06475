#!/usr/bin/env node
/**
 * Checks the Docker Desktop extension against the Extensions SDK's documented rules
 * (docs.docker.com/extensions/extensions-sdk: architecture/metadata, extensions/labels,
 * guides/use-docker-socket-from-backend) plus Paddock's own packaging rules (marked "paddock:").
 *
 *   node extension/validate.mjs                 metadata.json + docker-compose.yaml in the repository
 *   node extension/validate.mjs --image [<tag>] the same files read out of the built image (default
 *                                               paddock/desktop-extension:<version>), /ui, the icon, and every label
 *
 * Exit code 0 when valid (warnings allowed), 1 otherwise. Where the `docker extension` CLI plugin
 * exists, its own `docker extension validate` runs too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { REPO, tagFromArgs } from './config.mjs';

export { REPO };

/** Labels Docker Desktop requires before it lists an extension (extensions/labels). */
export const REQUIRED_LABELS = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.description',
  'org.opencontainers.image.vendor',
  'com.docker.desktop.extension.api.version',
  'com.docker.desktop.extension.icon',
  'com.docker.extension.screenshots',
  'com.docker.extension.detailed-description',
  'com.docker.extension.publisher-url',
  'com.docker.extension.changelog',
];
/** Optional in the SDK, required by Paddock: users find the docs and the category filter finds us. */
export const PADDOCK_REQUIRED_LABELS = ['com.docker.extension.additional-urls', 'com.docker.extension.categories'];
export const CATEGORIES = [
  'ci-cd', 'container-orchestration', 'cloud-deployment', 'cloud-development', 'database', 'kubernetes',
  'networking', 'image-registry', 'security', 'testing-tools', 'utility-tools', 'volumes',
];
const SCREENSHOT_SIZE = { width: 2400, height: 1600 }; // the SDK's recommended size
const ICON_EXT = /\.(svg|png|jpe?g)$/i;
const IMAGE_EXT = /\.(png|jpe?g)$/i;
const GUEST_SERVICES = '/run/guest-services';
const ENGINE_SOCKET_RAW = '/var/run/docker.sock.raw';
// semver, or a constraint list like ">= 0.3.4" / ">= 1.4.7, < 2.0"
const SEMVER = String.raw`v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?`;
const API_VERSION = new RegExp(`^\\s*((>=|<=|>|<|=|\\^|~)?\\s*${SEMVER})(\\s*,?\\s*(>=|<=|>|<|=)\\s*${SEMVER})*\\s*$`);

export class Report {
  errors = [];
  warnings = [];
  error(where, msg) { this.errors.push(`${where}: ${msg}`); }
  warn(where, msg) { this.warnings.push(`${where}: ${msg}`); }
  get ok() { return this.errors.length === 0; }
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v) => typeof v === 'string' && v.trim() !== '';
function isHttpUrl(v) {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * metadata.json. `files` answers whether a path exists in the image's filesystem (or the
 * repository, before the image is built) and reads it.
 */
export function checkMetadata(text, files, r) {
  const W = 'metadata.json';
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    r.error(W, `not valid JSON (${e.message})`);
    return null;
  }
  if (!isObject(m)) {
    r.error(W, 'must be a JSON object');
    return null;
  }
  for (const k of Object.keys(m)) if (!['icon', 'ui', 'vm', 'host'].includes(k)) r.warn(W, `unknown top-level key "${k}" (the SDK knows icon, ui, vm, host)`);

  if (!isNonEmptyString(m.icon)) r.error(W, '"icon" is required: a file in the image (.svg, .png or .jpg)');
  else {
    if (!ICON_EXT.test(m.icon)) r.error(W, `"icon" ${m.icon} must be .svg, .png or .jpg`);
    if (!files.exists(posix.join('/', m.icon))) r.error(W, `"icon" ${m.icon} is not in the image's root filesystem`);
  }

  if (m.ui !== undefined) {
    if (!isObject(m.ui)) r.error(W, '"ui" must be an object');
    else {
      for (const k of Object.keys(m.ui)) if (k !== 'dashboard-tab') r.warn(W, `unknown UI extension point "ui.${k}" (the SDK knows dashboard-tab)`);
      const tab = m.ui['dashboard-tab'];
      if (!isObject(tab)) r.error(W, '"ui.dashboard-tab" must be an object with title, root and src');
      else {
        if (!isNonEmptyString(tab.title)) r.error(W, '"ui.dashboard-tab.title" is required');
        if (!isNonEmptyString(tab.root) || !tab.root.startsWith('/')) r.error(W, '"ui.dashboard-tab.root" must be an absolute folder in the image, e.g. "/ui"');
        if (!isNonEmptyString(tab.src) || tab.src.startsWith('/')) r.error(W, '"ui.dashboard-tab.src" must be the entry file relative to root, e.g. "index.html"');
        if (isNonEmptyString(tab.root) && isNonEmptyString(tab.src)) {
          const entry = posix.join(tab.root, tab.src);
          if (!files.exists(entry)) r.error(W, `the dashboard tab's entry ${entry} is not in the image`);
          else checkUiEntry(files.read(entry), entry, r);
        }
      }
    }
  }

  let compose = null;
  if (m.vm !== undefined) {
    if (!isObject(m.vm)) r.error(W, '"vm" must be an object');
    else {
      const hasImage = m.vm.image !== undefined;
      const hasCompose = m.vm.composefile !== undefined;
      if (hasImage === hasCompose) r.error(W, '"vm" must define exactly one of "image" or "composefile"');
      if (hasImage && !isNonEmptyString(m.vm.image)) r.error(W, '"vm.image" must be an image name, usually "${DESKTOP_PLUGIN_IMAGE}"');
      if (hasCompose) {
        if (!isNonEmptyString(m.vm.composefile)) r.error(W, '"vm.composefile" must name a Compose file in the image');
        else if (!files.exists(posix.join('/', m.vm.composefile))) r.error(W, `"vm.composefile" ${m.vm.composefile} is not in the image's root filesystem`);
        else compose = checkCompose(files.read(posix.join('/', m.vm.composefile)), m.vm.composefile, m.vm.exposes?.socket, r);
      }
      if (m.vm.exposes !== undefined) {
        if (!isObject(m.vm.exposes) || !isNonEmptyString(m.vm.exposes.socket)) r.error(W, '"vm.exposes" must be { "socket": "<name>.sock" }');
        else if (m.vm.exposes.socket.includes('/')) r.error(W, `"vm.exposes.socket" is a file name in ${GUEST_SERVICES}, not a path: ${m.vm.exposes.socket}`);
        else if (!m.vm.exposes.socket.endsWith('.sock')) r.warn(W, `"vm.exposes.socket" ${m.vm.exposes.socket} does not end in .sock`);
      } else if (m.ui) {
        r.warn(W, '"vm" has no "exposes.socket": ddClient.extension.vm.service will have nothing to talk to');
      }
    }
  }

  if (m.host !== undefined) {
    const bins = m.host?.binaries;
    if (!isObject(m.host) || !Array.isArray(bins)) r.error(W, '"host" must be { "binaries": [ { "darwin"|"windows"|"linux": [ { "path": … } ] } ] }');
    else
      for (const b of bins) {
        for (const [os, list] of Object.entries(b ?? {})) {
          if (!['darwin', 'windows', 'linux'].includes(os)) r.error(W, `"host.binaries" has unknown platform "${os}"`);
          if (!Array.isArray(list) || list.some((x) => !isNonEmptyString(x?.path))) r.error(W, `"host.binaries.${os}" must be a list of { "path": … }`);
          else for (const x of list) if (!files.exists(x.path)) r.error(W, `host binary ${x.path} is not in the image`);
        }
      }
  }
  return { metadata: m, compose };
}

/** The UI is loaded from the image's files, not from a web server at "/": asset URLs must be relative. */
function checkUiEntry(html, where, r) {
  const absolute = [...html.matchAll(/\s(?:src|href)="(\/[^/"][^"]*)"/g)].map((x) => x[1]);
  if (absolute.length) r.error(where, `absolute asset URLs will not load in Docker Desktop: ${absolute.slice(0, 3).join(', ')} (build with Vite base './')`);
}

function checkCompose(text, name, socketName, r) {
  let c;
  try {
    c = YAML.parse(text);
  } catch (e) {
    r.error(name, `not valid YAML (${e.message})`);
    return null;
  }
  if (!isObject(c?.services) || Object.keys(c.services).length === 0) {
    r.error(name, 'defines no services');
    return null;
  }
  const usesOwnImage = Object.values(c.services).some((s) => s?.image === '${DESKTOP_PLUGIN_IMAGE}');
  if (!usesOwnImage) r.warn(name, 'no service runs ${DESKTOP_PLUGIN_IMAGE} (the extension image itself)');
  const declaredVolumes = new Set(Object.keys(c.volumes ?? {}));
  let socketServed = false;
  for (const [svcName, svc] of Object.entries(c.services)) {
    const where = `${name} services.${svcName}`;
    const env = environmentOf(svc);
    const cmd = [svc.command, svc.entrypoint].flat().filter(Boolean).join(' ');
    if (socketName && (Object.values(env).includes(`${GUEST_SERVICES}/${socketName}`) || cmd.includes(`${GUEST_SERVICES}/${socketName}`))) socketServed = true;
    for (const v of svc.volumes ?? []) {
      const { source, target } = parseVolume(v);
      if (/docker\.sock/.test(target ?? '') && source && source !== ENGINE_SOCKET_RAW) {
        r.error(where, `mount the engine socket from ${ENGINE_SOCKET_RAW} (the Desktop VM's socket), not ${source}`);
      }
      if (source && !source.startsWith('/') && !source.startsWith('.') && !declaredVolumes.has(source)) {
        r.error(where, `named volume "${source}" is not declared under top-level volumes`);
      }
    }
    for (const p of svc.ports ?? []) {
      const spec = typeof p === 'object' ? `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target ?? ''}` : String(p);
      if (!/^127\.0\.0\.1:/.test(spec)) r.error(where, `paddock: published port ${spec} must bind 127.0.0.1 only`);
    }
  }
  if (socketName && !socketServed) r.error(name, `paddock: no service is told to listen on ${GUEST_SERVICES}/${socketName} (vm.exposes.socket)`);
  return c;
}

export function environmentOf(svc) {
  const env = svc?.environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [String(e).split('=')[0], String(e).split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function parseVolume(v) {
  if (typeof v === 'object') return { source: v.source, target: v.target, readOnly: Boolean(v.read_only) };
  const [source, target, mode] = String(v).split(':');
  return target === undefined ? { source: undefined, target: source, readOnly: false } : { source, target, readOnly: mode === 'ro' };
}

function parseJsonLabel(labels, key, r) {
  try {
    return JSON.parse(labels[key]);
  } catch (e) {
    r.error(key, `must be JSON (${e.message})`);
    return undefined;
  }
}

/** PNG width/height from the IHDR chunk, or null for anything that is not a PNG. */
export function pngSize(buf) {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(sig) || buf.toString('ascii', 12, 16) !== 'IHDR') return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

export function checkLabels(labels, r, assetsDir = join(REPO, 'assets')) {
  for (const k of REQUIRED_LABELS) if (!isNonEmptyString(labels[k])) r.error(k, 'required label is missing or empty');
  for (const k of PADDOCK_REQUIRED_LABELS) if (!isNonEmptyString(labels[k])) r.error(k, 'paddock: label is missing or empty');

  const api = labels['com.docker.desktop.extension.api.version'];
  if (isNonEmptyString(api) && !API_VERSION.test(api)) r.error('com.docker.desktop.extension.api.version', `"${api}" is neither a semantic version nor a constraint like ">= 0.3.4"`);

  const icon = labels['com.docker.desktop.extension.icon'];
  if (isNonEmptyString(icon)) {
    if (!isHttpUrl(icon)) r.error('com.docker.desktop.extension.icon', `must be a URL: ${icon}`);
    else if (!ICON_EXT.test(new URL(icon).pathname)) r.error('com.docker.desktop.extension.icon', `must point to .svg, .png or .jpg: ${icon}`);
  }

  for (const k of ['com.docker.extension.publisher-url']) {
    if (isNonEmptyString(labels[k]) && !isHttpUrl(labels[k])) r.error(k, `must be an http(s) URL: ${labels[k]}`);
  }

  if (isNonEmptyString(labels['com.docker.extension.screenshots'])) {
    const shots = parseJsonLabel(labels, 'com.docker.extension.screenshots', r);
    if (shots !== undefined) {
      if (!Array.isArray(shots) || shots.length === 0) r.error('com.docker.extension.screenshots', 'must be a non-empty JSON array of {alt, url}');
      else
        shots.forEach((s, i) => {
          const where = `com.docker.extension.screenshots[${i}]`;
          if (!isObject(s) || !isNonEmptyString(s.alt) || !isNonEmptyString(s.url)) return r.error(where, 'needs a non-empty "alt" and "url"');
          if (!isHttpUrl(s.url)) return r.error(where, `url must be http(s): ${s.url}`);
          const file = basename(new URL(s.url).pathname);
          if (!IMAGE_EXT.test(file)) r.error(where, `url must point to a .png or .jpg: ${s.url}`);
          // paddock: every screenshot is a real file in assets/ (the URL serves that file once published).
          const local = join(assetsDir, file);
          if (!existsSync(local)) return r.error(where, `paddock: ${file} is not in assets/`);
          const size = pngSize(readFileSync(local));
          if (/\.png$/i.test(file) && !size) return r.error(where, `paddock: assets/${file} is not a PNG`);
          if (size && (size.width !== SCREENSHOT_SIZE.width || size.height !== SCREENSHOT_SIZE.height)) {
            r.warn(where, `assets/${file} is ${size.width}x${size.height}; Docker recommends ${SCREENSHOT_SIZE.width}x${SCREENSHOT_SIZE.height}`);
          }
        });
    }
  }

  if (isNonEmptyString(labels['com.docker.extension.additional-urls'])) {
    const urls = parseJsonLabel(labels, 'com.docker.extension.additional-urls', r);
    if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => !isObject(u) || !isNonEmptyString(u.title) || !isHttpUrl(u.url)))) {
      r.error('com.docker.extension.additional-urls', 'must be a JSON array of {title, url} with http(s) URLs');
    }
  }

  const cats = labels['com.docker.extension.categories'];
  if (isNonEmptyString(cats)) {
    for (const c of cats.split(',').map((x) => x.trim())) if (!CATEGORIES.includes(c)) r.error('com.docker.extension.categories', `unknown category "${c}" (known: ${CATEGORIES.join(', ')})`);
  }
  const account = labels['com.docker.extension.account-info'];
  if (account !== undefined && account !== '' && account !== 'required') r.error('com.docker.extension.account-info', 'must be "required" or empty');
  for (const k of ['com.docker.extension.detailed-description', 'com.docker.extension.changelog']) {
    if (isNonEmptyString(labels[k]) && /<script/i.test(labels[k])) r.error(k, 'must not contain <script>');
  }
}

function docker(args, opts = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Copies paths out of an image (docker create + cp; nothing runs), into a fresh temp folder. */
export function copyFromImage(image, paths, label = `validate-${process.pid}`) {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-ext-'));
  const id = docker(['create', '--label', `io.paddock.test=${label}`, image, 'true']).trim();
  try {
    for (const p of paths) {
      const r = spawnSync('docker', ['cp', `${id}:${p}`, join(dir, p.replace(/^\/+/, '').replaceAll('/', '__') || 'root')], { encoding: 'utf8' });
      if (r.status !== 0 && !/Could not find the file|No such container:path/i.test(r.stderr)) throw new Error(`docker cp ${p}: ${r.stderr.trim()}`);
    }
  } finally {
    spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
  return dir;
}

/** A view of files: the repository before the image exists, or files copied out of the image. */
function repoFiles() {
  const map = (p) => {
    if (p === '/ui' || p.startsWith('/ui/')) return join(REPO, 'ui', 'dist', p.slice(3));
    return join(REPO, p);
  };
  return { exists: (p) => existsSync(map(p)), read: (p) => readFileSync(map(p), 'utf8') };
}

function imageFiles(image) {
  const metaDir = copyFromImage(image, ['/metadata.json']);
  const meta = readFileSync(join(metaDir, 'metadata.json'), 'utf8');
  rmSync(metaDir, { recursive: true, force: true });
  let wanted = ['/metadata.json'];
  try {
    const m = JSON.parse(meta);
    const tab = m.ui?.['dashboard-tab'];
    wanted = [
      ...wanted,
      m.icon && posix.join('/', m.icon),
      m.vm?.composefile && posix.join('/', m.vm.composefile),
      tab?.root && tab?.src && posix.join(tab.root, tab.src),
      ...(m.host?.binaries ?? []).flatMap((b) => Object.values(b ?? {}).flat().map((x) => x?.path)),
    ].filter(Boolean);
  } catch {
    // checkMetadata reports the broken JSON
  }
  const dir = copyFromImage(image, wanted);
  const local = (p) => join(dir, p.replace(/^\/+/, '').replaceAll('/', '__'));
  return {
    exists: (p) => existsSync(local(p)) && statSync(local(p)).isFile(),
    read: (p) => readFileSync(local(p), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function validate({ image } = {}) {
  const r = new Report();
  if (!image) {
    const files = repoFiles();
    checkMetadata(readFileSync(join(REPO, 'metadata.json'), 'utf8'), files, r);
    return r;
  }
  let inspect;
  try {
    inspect = JSON.parse(docker(['image', 'inspect', image]))[0];
  } catch {
    r.error(image, 'no such image: build it first (npm run extension:build)');
    return r;
  }
  const files = imageFiles(image);
  try {
    if (!files.exists('/metadata.json')) r.error(image, 'has no /metadata.json at the root of its filesystem');
    else checkMetadata(files.read('/metadata.json'), files, r);
  } finally {
    files.cleanup();
  }
  checkLabels(inspect.Config?.Labels ?? {}, r);
  return r;
}

function main() {
  const args = process.argv.slice(2);
  const image = args.includes('--image') ? tagFromArgs(args) : undefined;
  const r = validate({ image });
  for (const w of r.warnings) console.log(`warning  ${w}`);
  for (const e of r.errors) console.log(`error    ${e}`);
  const what = image ? `extension image ${image}` : 'metadata.json';
  if (!r.ok) {
    console.log(`✗ ${what}: ${r.errors.length} error(s)`);
    process.exit(1);
  }
  if (image && spawnSync('docker', ['extension', 'version'], { stdio: 'ignore' }).status === 0) {
    const d = spawnSync('docker', ['extension', 'validate', image], { stdio: 'inherit' });
    if (d.status !== 0) process.exit(1);
  }
  console.log(`✓ ${what} is valid${r.warnings.length ? ` (${r.warnings.length} warning(s))` : ''}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
