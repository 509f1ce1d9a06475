import { mkdtemp, readFile, rm, writeFile, appendFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS } from '../core/policy-protocol.js';
import { AuditLog, HEAD_FILE, listAuditFiles, sha256, verifyAuditDir } from './log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paddock-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeRecords(n: number, maxFileBytes = 4096): Promise<void> {
  const log = await AuditLog.open(dir, { maxFileBytes });
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) all.push(log.record('cli', 'test.write', `sb-${i % 3}`, { i }));
  await Promise.all(all);
  await log.close();
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(join(dir, file), 'utf8')).split('\n').slice(0, -1);
}
async function setLines(file: string, ls: string[]): Promise<void> {
  await writeFile(join(dir, file), ls.map((l) => l + '\n').join(''));
}

describe('AuditLog', () => {
  it('chains 10,000 records across rotated files and keeps chaining after reopen', async () => {
    const log = await AuditLog.open(dir, { maxFileBytes: 64 * 1024 });
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) all.push(log.record(i % 2 ? 'cli' : 'dashboard', 'sandbox.start', `sb-${i % 7}`, { i }));
    const recs = (await Promise.all(all)) as { seq: number }[];
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    await log.close();

    const files = await listAuditFiles(dir);
    expect(files.length).toBeGreaterThan(10);
    const v = await verifyAuditDir(dir);
    expect(v).toMatchObject({ ok: true, records: 10_000, firstBad: null, partialTail: null, repairs: [] });

    // The chain continues across files: the first line of file 2 points at the last of file 1.
    const f1 = await lines(files[0]!);
    const f2first = JSON.parse((await lines(files[1]!))[0]!) as { prev: string };
    expect(f2first.prev).toBe(sha256(f1[f1.length - 1]!));
    expect(JSON.parse(f1[0]!).prev).toBe(AUDIT_GENESIS);

    const again = await AuditLog.open(dir, { maxFileBytes: 64 * 1024 });
    expect(again.repairs).toEqual([]);
    expect((await again.record('cli', 'after.reopen', null, {})).seq).toBe(10_001);
    await again.close();
    expect(await verifyAuditDir(dir)).toMatchObject({ ok: true, records: 10_001 });
  });

  it('writes the fixed record shape', async () => {
    const log = await AuditLog.open(dir, { now: () => new Date('2026-01-02T03:04:05.000Z') });
    const r = await log.record('cli', 'sandbox.create', 'claude-app', { agent: 'claude' });
    await log.close();
    const [line] = await lines('audit-000001.jsonl');
    expect(line).toBe(`{"seq":1,"time":"2026-01-02T03:04:05.000Z","actor":"cli","action":"sandbox.create","sandbox":"claude-app","details":{"agent":"claude"},"prev":"${AUDIT_GENESIS}"}`);
    expect(r.seq).toBe(1);
    const head = JSON.parse(await readFile(join(dir, HEAD_FILE), 'utf8'));
    expect(head).toEqual({ seq: 1, hash: sha256(line!), file: 'audit-000001.jsonl' });
  });

  it('tells followers about durable records, in order', async () => {
    const log = await AuditLog.open(dir);
    const seen: number[] = [];
    const off = log.subscribe((r) => seen.push(r.seq));
    await Promise.all([log.record('cli', 'a', null), log.record('cli', 'b', null)]);
    off();
    await log.record('cli', 'c', null);
    await log.close();
    expect(seen).toEqual([1, 2]);
  });

  it('rejects details that are not JSON without breaking the chain', async () => {
    const log = await AuditLog.open(dir);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(log.record('cli', 'bad', null, cyclic)).rejects.toThrow(/not JSON/);
    expect((await log.record('cli', 'good', null, {})).seq).toBe(1);
    await log.close();
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('refuses records after close instead of dropping them', async () => {
    const log = await AuditLog.open(dir);
    await log.close();
    await expect(log.record('cli', 'late', null)).rejects.toThrow(/closed/);
  });

  it('rejects records it could not write', async () => {
    const log = await AuditLog.open(dir);
    await log.record('cli', 'ok', null);
    // Replace the directory's HEAD with a directory: the anchor write (part of every batch) fails.
    await rm(join(dir, HEAD_FILE));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, HEAD_FILE + '.tmp'));
    await expect(log.record('cli', 'fails', null)).rejects.toThrow(/cannot be written/);
    await expect(log.record('cli', 'after', null)).rejects.toThrow(/cannot be written/);
    await rm(join(dir, HEAD_FILE + '.tmp'), { recursive: true });
    await log.close().catch(() => undefined);
  });
});

describe('verify detects tampering and names the first bad record', () => {
  // 60 records in files of ~4 KiB: several files, so damage is checked across rotation too.
  beforeEach(async () => {
    await writeRecords(60);
  });

  it('an intact log verifies', async () => {
    const v = await verifyAuditDir(dir);
    expect(v.ok).toBe(true);
    expect(v.records).toBe(60);
    expect(v.files.length).toBeGreaterThan(2);
  });

  it('one edited byte in a record body', async () => {
    const [f] = await listAuditFiles(dir);
    const ls = await lines(f!);
    ls[4] = ls[4]!.replace('"sb-1"', '"sb-X"'); // record 5
    await setLines(f!, ls);
    const v = await verifyAuditDir(dir);
    expect(v.ok).toBe(false);
    expect(v.firstBad).toMatchObject({ file: f, line: 5, seq: 5, reason: 'hash' });
    expect(v.firstBad?.message).toContain('Record 5');
  });

  it('one edited byte in a prev hash', async () => {
    const [f] = await listAuditFiles(dir);
    const ls = await lines(f!);
    const l = ls[6]!;
    const at = l.lastIndexOf('"prev":"') + 8;
    ls[6] = l.slice(0, at) + (l[at] === 'a' ? 'b' : 'a') + l.slice(at + 1); // record 7
    await setLines(f!, ls);
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ seq: 7, line: 7, reason: 'hash' });
  });

  it('an edited byte that breaks the JSON', async () => {
    const [f] = await listAuditFiles(dir);
    const ls = await lines(f!);
    ls[2] = ls[2]!.slice(0, 10) + '\u0000' + ls[2]!.slice(11);
    await setLines(f!, ls);
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ seq: 3, reason: expect.stringMatching(/unparseable|sequence/) });
  });

  it('the last record edited (caught by the anchor)', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    const ls = await lines(f);
    ls[ls.length - 1] = ls[ls.length - 1]!.replace('test.write', 'test.wrote');
    await setLines(f, ls);
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ seq: 60, reason: 'hash' });
  });

  it('a deleted line', async () => {
    const files = await listAuditFiles(dir);
    const f = files[1]!;
    const ls = await lines(f);
    const removed = JSON.parse(ls[1]!).seq as number;
    ls.splice(1, 1);
    await setLines(f, ls);
    const v = await verifyAuditDir(dir);
    expect(v.firstBad).toMatchObject({ file: f, line: 2, seq: removed, reason: 'sequence' });
    expect(v.firstBad?.message).toMatch(/missing or out of place/);
  });

  it('a reordered pair', async () => {
    const [f] = await listAuditFiles(dir);
    const ls = await lines(f!);
    [ls[9], ls[10]] = [ls[10]!, ls[9]!];
    await setLines(f!, ls);
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ line: 10, seq: 10, reason: 'sequence' });
  });

  it('a cleanly cut tail (whole lines removed)', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    const ls = await lines(f);
    await setLines(f, ls.slice(0, -2));
    const v = await verifyAuditDir(dir);
    expect(v.firstBad).toMatchObject({ file: f, seq: 59, reason: 'truncated' });
    expect(v.firstBad?.message).toContain('59–60');
  });

  it('a file truncated to nothing', async () => {
    const files = await listAuditFiles(dir);
    await writeFile(join(dir, files[files.length - 1]!), '');
    expect((await verifyAuditDir(dir)).firstBad?.reason).toBe('truncated');
  });

  it('a removed first file', async () => {
    const [f] = await listAuditFiles(dir);
    await unlink(join(dir, f!));
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ seq: 1, reason: 'sequence' });
  });

  it('a removed anchor', async () => {
    await unlink(join(dir, HEAD_FILE));
    expect((await verifyAuditDir(dir)).firstBad?.reason).toBe('anchor');
    const log = await AuditLog.open(dir);
    await log.close();
    const v = await verifyAuditDir(dir);
    expect(v.ok).toBe(true);
    expect(v.repairs).toEqual([{ seq: 61, action: 'audit.anchor-reset' }]);
  });

  it('a truncated log is recorded as such on the next open, never silently healed', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    await setLines(f, (await lines(f)).slice(0, -1));
    const log = await AuditLog.open(dir);
    await log.close();
    const v = await verifyAuditDir(dir);
    expect(v.repairs).toEqual([{ seq: 60, action: 'audit.truncation-detected' }]);
  });

  it('a partial last line is reported, then dropped (and noted) on the next open', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    await appendFile(join(dir, f), '{"seq":61,"time":"20');
    const v = await verifyAuditDir(dir);
    expect(v.ok).toBe(true);
    expect(v.partialTail).toMatchObject({ file: f, bytes: 20 });
    const log = await AuditLog.open(dir);
    expect(log.repairs).toEqual([{ action: 'audit.partial-dropped', details: { file: f, bytes: 20 } }]);
    await log.close();
    const after = await verifyAuditDir(dir);
    expect(after).toMatchObject({ ok: true, records: 61, partialTail: null, repairs: [{ seq: 61, action: 'audit.partial-dropped' }] });
  });

  it('a garbled last line does not stop paddockd: it continues the chain and verify still names the line', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    const ls = await lines(f);
    ls[ls.length - 1] = 'garbage that is not JSON';
    await setLines(f, ls);
    const log = await AuditLog.open(dir);
    expect(log.repairs.map((r) => r.action)).toEqual(['audit.tail-unreadable', 'audit.anchor-mismatch']);
    expect(log.repairs[0]!.details).toEqual({ file: f, line: ls.length });
    expect(log.lastSeq).toBe(62); // 60 lines, then the two repair records
    await log.close();
    expect((await verifyAuditDir(dir)).firstBad).toMatchObject({ file: f, line: ls.length, seq: 60, reason: 'unparseable' });
  });

  it('a cut acknowledged record counts as truncation, not as a crash tail', async () => {
    const files = await listAuditFiles(dir);
    const f = files[files.length - 1]!;
    const text = await readFile(join(dir, f), 'utf8');
    await writeFile(join(dir, f), text.slice(0, -30));
    const v = await verifyAuditDir(dir);
    expect(v.partialTail).not.toBeNull();
    expect(v.firstBad).toMatchObject({ seq: 60, reason: 'truncated' });
  });
});
