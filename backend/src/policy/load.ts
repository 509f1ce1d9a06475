/**
 * Reading policy files: YAML → schema check → Policy, with every problem pinned to a line and
 * column of the file it came from.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { compilePolicyFile, type Policy } from '../core/policy.js';
import type { PolicyFileError } from '../core/policy-protocol.js';

export const USER_POLICY_FILE = 'policy.yaml';
/** Path of the organization's policy file; paddockd only ever reads it. */
export const ORG_POLICY_ENV = 'PADDOCK_ORG_POLICY';
export const MAX_POLICY_BYTES = 1024 * 1024; // a policy is a page of YAML; anything this big is a mistake

export interface PolicyFilePaths {
  user: string;
  org: string | null;
}

export function policyFilePaths(configDir: string, env: NodeJS.ProcessEnv = process.env): PolicyFilePaths {
  const org = env[ORG_POLICY_ENV]?.trim();
  return { user: join(configDir, USER_POLICY_FILE), org: org ? org : null };
}

export interface LoadedPolicyFile {
  path: string;
  present: boolean;
  /** null when the file is absent or has errors. */
  policy: Policy | null;
  errors: PolicyFileError[];
  /** SHA-256 of the bytes read ('' when absent), to tell real changes from touches. */
  hash: string;
}

/** Parse policy YAML text. Never throws: problems come back as line-numbered errors. */
export function parsePolicyText(text: string, path: string, homeDir: string | null): { policy: Policy | null; errors: PolicyFileError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      policy: null,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file: path, line: pos.line, column: pos.col, path: '', message: e.message.replace(/ at line \d+, column \d+:?.*$/s, '') };
      }),
    };
  }
  const { policy, issues } = compilePolicyFile(doc.toJS(), path, homeDir);
  return {
    policy,
    errors: issues.map((i) => {
      const offset = offsetOf(doc, i.path);
      const pos = offset === null ? null : lineCounter.linePos(offset);
      return { file: path, line: pos?.line ?? null, column: pos?.col ?? null, path: i.path.join('.'), message: i.message };
    }),
  };
}

/** Where `path` starts in the document: the key for map entries, the item for sequences; the nearest existing parent otherwise. */
function offsetOf(doc: Document, path: (string | number)[]): number | null {
  let node: unknown = doc.contents;
  let best: number | null = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      best = rangeStart(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      break;
    }
  }
  return best;
}

function rangeStart(n: unknown): number | null {
  const r = (n as YamlNode | null)?.range;
  return r ? r[0] : null;
}

export async function loadPolicyFile(path: string, homeDir: string | null): Promise<LoadedPolicyFile> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, present: false, policy: null, errors: [], hash: '' };
    return { path, present: true, policy: null, errors: [{ file: path, line: null, column: null, path: '', message: `cannot read it (${code ?? String(e)}); check its permissions` }], hash: '' };
  }
  const hash = createHash('sha256').update(buf).digest('hex');
  if (buf.length > MAX_POLICY_BYTES) {
    return { path, present: true, policy: null, errors: [{ file: path, line: null, column: null, path: '', message: `it is ${buf.length} bytes; a policy file may be at most ${MAX_POLICY_BYTES}` }], hash };
  }
  return { path, present: true, hash, ...parsePolicyText(buf.toString('utf8'), path, homeDir) };
}

/** "policy.yaml:12:5: workspaces.roots.0: …" — one line per error, for logs and the CLI. */
export function formatPolicyError(e: PolicyFileError): string {
  const at = e.line ? `${e.file}:${e.line}${e.column ? `:${e.column}` : ''}` : e.file;
  return `${at}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}
