/**
 * paddockd killed with SIGKILL during heavy writing: the log must verify, apart from at most a
 * last partial line, which the next open drops. The writer is a real child process running the
 * real AuditLog (transpiled from this source tree), killed at a random moment.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditDir } from './log.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(SRC, '..', '..');
// Under the repo's node_modules so the child resolves `zod` like paddockd does.
const CACHE = join(REPO, 'node_modules', '.cache');
const MODULES = ['audit/log.ts', 'core/errors.ts', 'core/policy-protocol.ts'];

const CHILD = `
import { AuditLog } from './audit/log.js';
const log = await AuditLog.open(process.argv[2], { maxFileBytes: 256 * 1024 });
const pad = 'x'.repeat(3000);
for (;;) {
  const batch = [];
  for (let i = 0; i < 100; i++) batch.push(log.record('cli', 'crash.test', 'sb', { i, pad: pad.slice(0, (i * 131) % 3000) }));
  const recs = await Promise.all(batch);
  process.stdout.write('acked ' + recs[recs.length - 1].seq + '\\n');
}
`;

let build: string;
let work: string;

beforeAll(async () => {
  await mkdir(CACHE, { recursive: true });
  build = await mkdtemp(join(CACHE, 'paddock-audit-crash-'));
  for (const m of MODULES) {
    const src = await readFile(join(SRC, m), 'utf8');
    const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    await mkdir(join(build, dirname(m)), { recursive: true });
    await writeFile(join(build, m.replace(/\.ts$/, '.js')), out.outputText);
  }
  await writeFile(join(build, 'child.mjs'), CHILD);
  work = await mkdtemp(join(tmpdir(), 'paddock-audit-crash-'));
});

afterAll(async () => {
  await rm(build, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** Start the writer, wait until it has acknowledged `minAcked` records, then SIGKILL it. */
function writeThenKill(dir: string, minAcked: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build, 'child.mjs'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(m[1]));
      if (acked >= minAcked && !killed) {
        killed = true;
        // A random extra delay so the kill lands at a different point of the write cycle each run.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited on its own: ${stderr}`));
    });
  });
}

describe('a writer killed with SIGKILL', () => {
  it.each([1, 2, 3])('leaves a log that verifies (run %i)', async (run) => {
    const dir = join(work, `run-${run}`);
    const acked = await writeThenKill(dir, 2000 * run);

    const v = await verifyAuditDir(dir);
    expect(v.firstBad).toBeNull();
    expect(v.ok).toBe(true);
    // Every acknowledged record is there (more may be, written but not yet acknowledged).
    expect(v.records).toBeGreaterThanOrEqual(acked);
    expect(v.files.length).toBeGreaterThan(1);

    // The next open drops a partial tail (and says so in the log); the chain goes on.
    const log = await AuditLog.open(dir);
    expect(log.repairs.map((r) => r.action)).toEqual(v.partialTail ? ['audit.partial-dropped'] : []);
    await log.record('paddockd', 'paddockd.start', null, {});
    await log.close();
    const after = await verifyAuditDir(dir);
    expect(after).toMatchObject({ ok: true, partialTail: null, records: v.records + log.repairs.length + 1 });
  }, 60_000);
});
