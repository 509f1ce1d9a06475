/**
 * The audit log: append-only JSON lines in <stateDir>/audit/, each record chained to the previous
 * one by the SHA-256 of its line. Batched fsync: record() resolves only once its line (and every
 * line before it) is on disk. Rotated by size; the chain continues across files. A small HEAD
 * file anchors the last durable record so that a cleanly cut tail is detected too.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { AUDIT_GENESIS, type AuditBadRecord, type AuditRecord, type AuditVerifyResult } from '../core/policy-protocol.js';

export const AUDIT_DIR_NAME = 'audit';
export const HEAD_FILE = 'HEAD';
export const MAX_FILE_BYTES = 8 * 1024 * 1024; // ~30k records per file: small enough to grep, export and verify in memory
/** Records paddockd writes when it found and repaired damage at the tail on start; verify lists them. */
export const REPAIR_ACTIONS: ReadonlySet<string> = new Set(['audit.partial-dropped', 'audit.anchor-reset', 'audit.truncation-detected', 'audit.anchor-mismatch', 'audit.tail-unreadable']);
const FILE_RE = /^audit-(\d{6})\.jsonl$/;

export function auditDirOf(stateDir: string): string {
  return join(stateDir, AUDIT_DIR_NAME);
}

export function fileName(index: number): string {
  return `audit-${String(index).padStart(6, '0')}.jsonl`;
}

export function sha256(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** The one way a record becomes a line: fixed key order, no whitespace. */
export function encodeRecord(r: AuditRecord): string {
  return JSON.stringify({ seq: r.seq, time: r.time, actor: r.actor, action: r.action, sandbox: r.sandbox, details: r.details, prev: r.prev });
}

interface Head {
  seq: number;
  hash: string;
  file: string;
}

export async function listAuditFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => FILE_RE.test(n)).sort();
}

async function readHead(dir: string): Promise<Head | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(join(dir, HEAD_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const h = JSON.parse(text) as Head;
    if (Number.isInteger(h.seq) && typeof h.hash === 'string' && typeof h.file === 'string') return h;
  } catch {
    // fall through
  }
  return 'unreadable';
}

export type AuditListener = (r: AuditRecord) => void;

interface Pending {
  line: string;
  record: AuditRecord;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}

export interface AuditLogOptions {
  maxFileBytes?: number;
  now?: () => Date;
}

export class AuditLog {
  private seq = 0;
  private lastHash = AUDIT_GENESIS;
  private fileIndex = 1;
  private fileBytes = 0;
  private fh: FileHandle | null = null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failed: Error | null = null;
  private closed = false;
  private readonly listeners = new Set<AuditListener>();
  private readonly maxFileBytes: number;
  private readonly now: () => Date;
  /** What open() found and repaired; also written to the log itself as records. */
  readonly repairs: { action: string; details: Record<string, unknown> }[] = [];

  private constructor(readonly dir: string, opts: AuditLogOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? MAX_FILE_BYTES;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Open (creating) the log in `dir`. Drops a partial last line left by a crash, and records
   * anything suspicious it finds at the tail (a missing anchor, records cut off) in the log itself,
   * so repairs are never silent.
   */
  static async open(dir: string, opts: AuditLogOptions = {}): Promise<AuditLog> {
    const log = new AuditLog(dir, opts);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await log.loadTail();
    log.fh = await open(join(dir, fileName(log.fileIndex)), 'a', 0o600);
    log.fileBytes = (await log.fh.stat()).size;
    for (const r of log.repairs) void log.record('paddockd', r.action, null, r.details).catch(() => undefined);
    if (log.repairs.length) await log.drain();
    return log;
  }

  private async loadTail(): Promise<void> {
    const files = await listAuditFiles(this.dir);
    const head = await readHead(this.dir);
    for (let i = files.length - 1; i >= 0; i--) {
      const name = files[i]!;
      const path = join(this.dir, name);
      const buf = await readFile(path);
      const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
      if (end < buf.length) {
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(end);
          await fh.sync();
        } finally {
          await fh.close();
        }
        this.repairs.push({ action: 'audit.partial-dropped', details: { file: name, bytes: buf.length - end } });
      }
      if (i === files.length - 1) this.fileIndex = Number(FILE_RE.exec(name)![1]);
      if (end === 0) continue; // an empty file (fresh after rotation): the tail is in the one before
      const lines = buf.subarray(0, end - 1).toString('utf8').split('\n');
      const last = lines[lines.length - 1]!;
      // Continue the chain from the last line as stored, even if damaged: verify then names that line,
      // and paddockd still starts (refusing to start would stop all recording).
      let back = lines.length - 1;
      let seq: number | null = null;
      for (; back >= 0; back--) {
        try {
          const r = JSON.parse(lines[back]!) as { seq?: unknown };
          if (typeof r.seq === 'number') {
            seq = r.seq;
            break;
          }
        } catch {
          // keep looking further back
        }
      }
      if (back !== lines.length - 1) this.repairs.push({ action: 'audit.tail-unreadable', details: { file: name, line: lines.length } });
      this.seq = (seq ?? 0) + (lines.length - 1 - back);
      this.lastHash = sha256(last);
      break;
    }
    if (head === 'missing' || head === 'unreadable') {
      if (this.seq > 0) this.repairs.push({ action: 'audit.anchor-reset', details: { reason: `HEAD was ${head}`, seq: this.seq } });
    } else if (head.seq > this.seq) {
      this.repairs.push({ action: 'audit.truncation-detected', details: { anchorSeq: head.seq, anchorHash: head.hash, foundSeq: this.seq } });
    } else if (head.seq === this.seq && head.hash !== this.lastHash) {
      this.repairs.push({ action: 'audit.anchor-mismatch', details: { seq: head.seq, anchorHash: head.hash, foundHash: this.lastHash } });
    }
  }

  /** Append a record. Resolves once it is durably on disk; rejects (never silently drops) on I/O failure. */
  record(actor: string, action: string, sandbox: string | null, details: Record<string, unknown> = {}): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new PaddockError(ErrorCode.Internal, 'The audit log is closed (paddockd is shutting down); retry once it is back.'));
    if (this.failed) return Promise.reject(this.failedError());
    const record: AuditRecord = { seq: this.seq + 1, time: this.now().toISOString(), actor, action, sandbox, details, prev: this.lastHash };
    let line: string;
    try {
      line = encodeRecord(record);
    } catch (e) {
      // A caller bug (a cycle, a BigInt) must not throw into the lifecycle code that is recording.
      return Promise.reject(new PaddockError(ErrorCode.Internal, `Audit record "${action}" has details that are not JSON (${e instanceof Error ? e.message : String(e)}).`));
    }
    this.seq = record.seq;
    this.lastHash = sha256(line);
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ line, record, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Resolves when everything recorded so far is durable. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  subscribe(l: AuditListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get lastSeq(): number {
    return this.seq;
  }

  private failedError(): PaddockError {
    return new PaddockError(ErrorCode.Internal, `The audit log cannot be written (${this.failed?.message}). Free disk space or fix permissions on ${this.dir}, then restart paddockd.`);
  }

  private async flushLoop(): Promise<void> {
    // Let records made in the same tick join one batch (one write, one fsync).
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.writeBatch(batch);
        } catch (e) {
          this.failed = e instanceof Error ? e : new Error(String(e));
          const err = this.failedError();
          for (const p of [...batch, ...this.pending]) p.reject(err);
          this.pending = [];
          return;
        }
        for (const p of batch) p.resolve(p.record);
        for (const p of batch) {
          for (const l of this.listeners) {
            try {
              l(p.record);
            } catch {
              // a broken follower must not break the log
            }
          }
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let chunk: string[] = [];
    let chunkBytes = 0;
    const writeChunk = async (): Promise<void> => {
      if (!chunk.length) return;
      const buf = Buffer.from(chunk.join(''), 'utf8');
      await this.fh!.write(buf);
      this.fileBytes += buf.length;
      chunk = [];
      chunkBytes = 0;
    };
    for (const p of batch) {
      const text = p.line + '\n';
      const bytes = Buffer.byteLength(text);
      if (this.fileBytes + chunkBytes > 0 && this.fileBytes + chunkBytes + bytes > this.maxFileBytes) {
        await writeChunk();
        await this.rotate();
      }
      chunk.push(text);
      chunkBytes += bytes;
    }
    await writeChunk();
    await this.fh!.sync();
    const last = batch[batch.length - 1]!;
    await this.writeHead({ seq: last.record.seq, hash: sha256(last.line), file: fileName(this.fileIndex) });
  }

  private async rotate(): Promise<void> {
    await this.fh!.sync();
    await this.fh!.close();
    this.fileIndex++;
    this.fh = await open(join(this.dir, fileName(this.fileIndex)), 'a', 0o600);
    this.fileBytes = 0;
    await syncDir(this.dir); // the new file's name must survive a crash, or the chain would seem cut
  }

  private async writeHead(h: Head): Promise<void> {
    const tmp = join(this.dir, HEAD_FILE + '.tmp');
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.write(JSON.stringify(h) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, HEAD_FILE));
  }

  /** Flush what is pending and release the file. Records after close() are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    this.listeners.clear();
    await this.fh?.close();
    this.fh = null;
  }

  verify(): Promise<AuditVerifyResult> {
    return verifyAuditDir(this.dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Check the whole chain in `dir`. Read-only, so it is safe while paddockd writes (a line being
 * appended at that moment shows up as a partial tail). Names the first bad record.
 */
export async function verifyAuditDir(dir: string): Promise<AuditVerifyResult> {
  const files = await listAuditFiles(dir);
  const head = await readHead(dir);
  let expectSeq = 1;
  let prevHash = AUDIT_GENESIS;
  let prevLoc: { file: string; line: number } | null = null;
  let records = 0;
  let partialTail: AuditVerifyResult['partialTail'] = null;
  const repairs: AuditVerifyResult['repairs'] = [];
  let lastLoc = { file: files[files.length - 1] ?? fileName(1), line: 0 };
  const result = (firstBad: AuditBadRecord | null): AuditVerifyResult => ({
    ok: firstBad === null,
    records,
    files,
    head: records ? { seq: expectSeq - 1, hash: prevHash } : null,
    firstBad,
    partialTail,
    repairs,
  });

  // One file in memory at a time, plus a one-line look ahead (telling "this record was edited"
  // from "the one before was" needs the next record's prev).
  async function* linesOf(): AsyncGenerator<{ file: string; line: number; text: string }> {
    for (let fi = 0; fi < files.length; fi++) {
      const file = files[fi]!;
      const parts = (await readFile(join(dir, file))).toString('utf8').split('\n');
      const tail = parts.pop()!; // '' when the file ends with a newline
      if (parts.length) lastLoc = { file, line: parts.length };
      for (let i = 0; i < parts.length; i++) yield { file, line: i + 1, text: parts[i]! };
      if (tail !== '') {
        if (fi === files.length - 1) partialTail = { file, line: parts.length + 1, bytes: Buffer.byteLength(tail) };
        else yield { file, line: parts.length + 1, text: tail }; // a cut line mid-chain is damage, not a crash tail
      }
    }
  }
  const lines = linesOf();
  let ahead = await lines.next();
  while (!ahead.done) {
    const current = ahead.value;
    ahead = await lines.next();
    const next = ahead.done ? undefined : ahead.value;
    const { file, line, text } = current;
    let rec: { seq?: unknown; prev?: unknown } | null = null;
    try {
      rec = JSON.parse(text) as { seq?: unknown; prev?: unknown };
    } catch {
      rec = null;
    }
    if (!rec || typeof rec !== 'object' || typeof rec.seq !== 'number' || typeof rec.prev !== 'string') {
      return result({ file, line, seq: expectSeq, reason: 'unparseable', message: `Record ${expectSeq} (${file}:${line}) is not a readable audit record: it was edited or cut.` });
    }
    if (rec.seq !== expectSeq) {
      return result({
        file, line, seq: expectSeq, reason: 'sequence',
        message: `Record ${expectSeq} is missing or out of place: ${file}:${line} holds record ${rec.seq}. Records were removed or reordered.`,
      });
    }
    const hash = sha256(text);
    if (rec.prev !== prevHash) {
      // If the next record (or the anchor) still vouches for this line, this line is intact: the one before changed.
      let blamePrev: boolean;
      if (next) {
        try {
          blamePrev = (JSON.parse(next.text) as { prev?: unknown }).prev === hash;
        } catch {
          blamePrev = false;
        }
      } else if (head !== 'missing' && head !== 'unreadable' && head.seq === rec.seq) {
        blamePrev = head.hash === hash;
      } else {
        blamePrev = true; // no more evidence: an edit to the body of the record before is the likelier change
      }
      if (blamePrev && prevLoc) {
        return result({ file: prevLoc.file, line: prevLoc.line, seq: expectSeq - 1, reason: 'hash', message: `Record ${expectSeq - 1} (${prevLoc.file}:${prevLoc.line}) was changed: its hash no longer matches the one stored in record ${expectSeq}.` });
      }
      return result({ file, line, seq: expectSeq, reason: 'hash', message: `Record ${expectSeq} (${file}:${line}) was changed: it does not chain to the record before it.` });
    }
    if (head !== 'missing' && head !== 'unreadable' && head.seq === rec.seq && head.hash !== hash) {
      return result({ file, line, seq: expectSeq, reason: 'hash', message: `Record ${expectSeq} (${file}:${line}) was changed: its hash no longer matches the anchor in ${HEAD_FILE}.` });
    }
    if (typeof (rec as { action?: unknown }).action === 'string' && REPAIR_ACTIONS.has((rec as { action: string }).action)) {
      repairs.push({ seq: rec.seq, action: (rec as { action: string }).action });
    }
    records++;
    expectSeq++;
    prevHash = hash;
    prevLoc = { file, line };
  }

  if (head === 'missing' || head === 'unreadable') {
    if (records > 0) {
      return result({ file: HEAD_FILE, line: 0, seq: expectSeq, reason: 'anchor', message: `The anchor file ${HEAD_FILE} is ${head}, so a cut-off tail cannot be ruled out. paddockd writes a new anchor (and a record saying so) on its next start.` });
    }
  } else if (head.seq >= expectSeq) {
    return result({
      file: lastLoc.file, line: lastLoc.line + 1, seq: expectSeq, reason: 'truncated',
      message: `The log was truncated: it ends at record ${expectSeq - 1} but record ${head.seq} had been written (${HEAD_FILE}). Records ${expectSeq}–${head.seq} are gone.`,
    });
  }
  return result(null);
}

/** Size of every audit file, for status displays. */
export async function auditBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await listAuditFiles(dir)) total += (await stat(join(dir, f))).size;
  return total;
}
