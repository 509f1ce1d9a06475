/**
 * The encrypted secret store: one sealed file `<stateDir>/secrets.json.enc`, rewritten
 * atomically (tmp + fsync + rename) on every change, decrypted into memory on first use.
 * paddockd is the only writer; writes are serialized here. A key that does not open the store
 * is an error that names the fix — the store and the key file are never overwritten then.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { parseScope, SECRET_NAME_HINT, SECRET_NAME_RE, type SecretInfo, type SecretScope } from '../core/secrets-protocol.js';
import { createKeyFile, Envelope, open, readKeyFile, seal } from './crypto.js';

export const KEY_FILE_NAME = 'secrets.key';
export const STORE_FILE_NAME = 'secrets.json.enc';

const StoredSecret = z.object({ name: z.string(), scope: z.string(), value: z.string(), updatedAt: z.string() });
type StoredSecret = z.infer<typeof StoredSecret>;
const StoreContent = z.object({ v: z.literal(1), secrets: z.array(StoredSecret) });
type StoreContent = z.infer<typeof StoreContent>;

/** Who is reading: the narrowest scope that holds NAME wins (sandbox, then agent, then global). */
export interface SecretReader {
  sandbox: string;
  agent: string;
}

export interface ResolvedSecret {
  name: string;
  scope: SecretScope;
  value: string;
}

export function scopesFor(reader: SecretReader): SecretScope[] {
  return [`sandbox:${reader.sandbox}`, `agent:${reader.agent}`, 'global'];
}

export function assertName(name: string): void {
  if (!SECRET_NAME_RE.test(name)) throw new PaddockError(ErrorCode.BadInput, `"${name}" is not a valid secret name: ${SECRET_NAME_HINT}.`);
}

export function assertScope(scope: string): asserts scope is SecretScope {
  if (!parseScope(scope)) throw new PaddockError(ErrorCode.BadInput, `"${scope}" is not a valid scope: use "global", "agent:<agent>" or "sandbox:<sandbox>".`);
}

export class SecretStore {
  readonly keyPath: string;
  readonly storePath: string;
  private content: StoreContent | null = null;
  private key: Buffer | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly now: () => Date;
  private readonly onChange: ((values: { name: string; value: string }[]) => void) | undefined;

  /** `onChange` sees every value whenever the store is opened or changed (the log masker subscribes). */
  constructor(stateDir: string, opts: { now?: () => Date; onChange?: (values: { name: string; value: string }[]) => void } = {}) {
    this.keyPath = join(stateDir, KEY_FILE_NAME);
    this.storePath = join(stateDir, STORE_FILE_NAME);
    this.now = opts.now ?? (() => new Date());
    this.onChange = opts.onChange;
  }

  /** Names, scopes and times; never values. */
  list(): SecretInfo[] {
    const c = this.load();
    return c.secrets
      .map(({ name, scope, updatedAt }) => ({ name, scope, updatedAt }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.scope.localeCompare(b.scope));
  }

  has(name: string, scope: SecretScope): boolean {
    return this.load().secrets.some((s) => s.name === name && s.scope === scope);
  }

  resolve(name: string, reader: SecretReader): ResolvedSecret | null {
    const c = this.load();
    for (const scope of scopesFor(reader)) {
      const hit = c.secrets.find((s) => s.name === name && s.scope === scope);
      if (hit) return { name, scope, value: hit.value };
    }
    return null;
  }

  /** Every stored value with its name, for log masking. Empty while the store cannot be opened. */
  valuesForMasking(): { name: string; value: string }[] {
    try {
      return this.load().secrets.map(({ name, value }) => ({ name, value }));
    } catch {
      return [];
    }
  }

  async set(name: string, scope: SecretScope, value: string): Promise<SecretInfo> {
    assertName(name);
    assertScope(scope);
    return this.serialized(() => {
      const c = this.load(); // throws (and writes nothing) when the key does not open the store
      const updatedAt = this.now().toISOString();
      const next: StoreContent = { v: 1, secrets: [...c.secrets.filter((s) => !(s.name === name && s.scope === scope)), { name, scope, value, updatedAt }] };
      this.persist(next);
      return { name, scope, updatedAt };
    });
  }

  /** Removes NAME in one scope; false when it was not there. */
  async remove(name: string, scope: SecretScope): Promise<boolean> {
    assertName(name);
    assertScope(scope);
    return this.serialized(() => {
      const c = this.load();
      const kept = c.secrets.filter((s) => !(s.name === name && s.scope === scope));
      if (kept.length === c.secrets.length) return false;
      this.persist({ v: 1, secrets: kept });
      return true;
    });
  }

  private serialized<T>(fn: () => T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private load(): StoreContent {
    if (this.content) return this.content;
    const storeExists = existsSync(this.storePath);
    const key = readKeyFile(this.keyPath);
    if (!storeExists) {
      // Nothing stored yet. The key is created on the first write, not on a read.
      this.key = key;
      this.content = { v: 1, secrets: [] };
      return this.content;
    }
    if (!key) {
      throw new PaddockError(ErrorCode.SecretStore,
        `The secret store ${this.storePath} exists but its key ${this.keyPath} is missing. Restore secrets.key from a backup; or, to start over and lose every stored secret, move ${this.storePath} away. Paddock has not changed either file.`,
        { storePath: this.storePath, keyPath: this.keyPath });
    }
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(readFileSync(this.storePath, 'utf8')));
    } catch {
      throw corrupt(this.storePath, this.keyPath);
    }
    const plain = open(key, envelope);
    if (!plain) {
      throw new PaddockError(ErrorCode.SecretStore,
        `The secrets key ${this.keyPath} does not open the secret store ${this.storePath} (a different key, or a damaged file). Restore the matching secrets.key from a backup; or, to start over and lose every stored secret, move both files away. Paddock has not changed either file.`,
        { storePath: this.storePath, keyPath: this.keyPath });
    }
    const parsed = StoreContent.safeParse(safeJson(plain.toString('utf8')));
    if (!parsed.success) throw corrupt(this.storePath, this.keyPath);
    this.key = key;
    this.content = parsed.data;
    this.notify();
    return this.content;
  }

  private persist(next: StoreContent): void {
    mkdirSync(dirname(this.storePath), { recursive: true, mode: 0o700 });
    this.key ??= createKeyFile(this.keyPath);
    const body = JSON.stringify(seal(this.key, Buffer.from(JSON.stringify(next), 'utf8')));
    writeAtomic(this.storePath, body);
    this.content = next;
    this.notify();
  }

  private notify(): void {
    this.onChange?.(this.content?.secrets.map(({ name, value }) => ({ name, value })) ?? []);
  }
}

function corrupt(storePath: string, keyPath: string): PaddockError {
  return new PaddockError(ErrorCode.SecretStore,
    `The secret store ${storePath} is damaged (not a sealed Paddock store). Restore it from a backup; or, to start over and lose every stored secret, move ${storePath} and ${keyPath} away. Paddock has not changed either file.`,
    { storePath, keyPath });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** tmp file (0600) → fsync → rename over the target → fsync the directory, so a crash leaves the old or the new file, never half of one. */
export function writeAtomic(path: string, body: string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // directory fsync is not supported everywhere (e.g. some network filesystems); the rename is done
  }
}
