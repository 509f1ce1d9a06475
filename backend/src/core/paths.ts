/** Workspace path rules. Pure: callers pass in the facts (home dir, stat results). */
import { ErrorCode, PaddockError } from './errors.js';

/** Top-level system directories a workspace may never be, nor live under. */
export const SYSTEM_PATHS: readonly string[] = [
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib/docker', '/var/run', '/System', '/Library', '/private/etc',
];

export function normalizeAbsolute(p: string): string {
  if (!p.startsWith('/')) throw new PaddockError(ErrorCode.BadInput, `Workspace path "${p}" must be absolute.`);
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/**
 * Refuse paths that would hand an agent the whole machine: `/`, the home directory itself,
 * system directories and anything under them. Returns the reason, or null when allowed.
 */
export function workspaceRefusal(path: string, homeDir: string | null): string | null {
  if (path === '/') return 'the root directory / would expose the whole machine';
  if (homeDir && path === normalizeAbsolute(homeDir)) return 'your home directory itself would expose every file you own (use a project folder inside it)';
  for (const sys of SYSTEM_PATHS) {
    if (isUnder(path, sys)) return `${sys} is a system directory`;
  }
  if (path === '/home' || path === '/root' || path === '/Users' || path === '/var' || path === '/tmp') return `${path} holds other users' or system files`;
  return null;
}

export function assertWorkspaceAllowed(path: string, homeDir: string | null): void {
  const why = workspaceRefusal(path, homeDir);
  if (why) {
    throw new PaddockError(ErrorCode.BadInput, `Refusing workspace ${path}: ${why}. Pick a project folder, e.g. ~/src/myproject.`);
  }
}
