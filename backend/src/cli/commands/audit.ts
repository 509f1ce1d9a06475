/**
 * `paddock audit [--follow] [--sandbox N] [--since 2h] [--action A] [--limit N] [--json]`
 * `paddock audit verify [--offline] [--json]` — works without paddockd by reading the files.
 * `paddock audit export [-o file]` — the log exactly as stored (JSON lines), verifiable elsewhere.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ErrorCode, isPaddockError } from '../../core/errors.js';
import type { AuditRecord, AuditVerifyResult } from '../../core/policy-protocol.js';
import { auditDirOf, verifyAuditDir } from '../../audit/log.js';
import { resolvePaths, type PaddockPaths } from '../../daemon/paths.js';
import type { DaemonClient } from '../client.js';

type ClientFactory = () => Promise<Pick<DaemonClient, 'request' | 'stream'>>;

const DETAILS_WIDTH = 120; // one record per terminal line; --json has everything

export function summarizeDetails(d: Record<string, unknown>): string {
  const parts = Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const s = parts.join(' ');
  return s.length > DETAILS_WIDTH ? s.slice(0, DETAILS_WIDTH - 1) + '…' : s;
}

export function formatRecord(r: AuditRecord): string {
  const time = r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return [time, String(r.seq).padStart(6), r.actor.padEnd(9), r.action.padEnd(20), (r.sandbox ?? '-').padEnd(20), summarizeDetails(r.details)].join('  ').trimEnd();
}

export function formatVerify(v: AuditVerifyResult, where: string): string {
  const out: string[] = [];
  if (v.ok) {
    out.push(`OK: ${v.records} records in ${v.files.length} file${v.files.length === 1 ? '' : 's'} (${where}) chain intact.`);
    if (v.head) out.push(`Last record ${v.head.seq}, sha256 ${v.head.hash}. Note it down: a later verify that no longer reaches it means the log was rewritten.`);
  } else {
    out.push(`FAILED (${where}): ${v.firstBad?.message ?? 'unknown damage'}`);
    if (v.firstBad) out.push(`First bad record: ${v.firstBad.seq} at ${v.firstBad.file}${v.firstBad.line ? `:${v.firstBad.line}` : ''} (${v.firstBad.reason}). ${v.records} records before it are intact.`);
  }
  if (v.partialTail) out.push(`Note: an unfinished last line (${v.partialTail.bytes} bytes at ${v.partialTail.file}:${v.partialTail.line}) was left by a crash mid-write; paddockd drops it on its next start.`);
  for (const r of v.repairs) out.push(`Note: record ${r.seq} is ${r.action}: paddockd found damage at the tail when it started (see \`paddock audit --action audit\`).`);
  return out.join('\n') + '\n';
}

function queryString(o: { sandbox?: string; since?: string; limit?: string; action?: string }): string {
  const q = new URLSearchParams();
  if (o.sandbox) q.set('sandbox', o.sandbox);
  if (o.since) q.set('since', o.since);
  if (o.limit) q.set('limit', o.limit);
  if (o.action) q.set('action', o.action);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Verify through paddockd when it runs (it owns the files; in Docker Desktop they live in its
 * container), else read the files here. Never starts paddockd just to verify.
 */
export async function verifyAnywhere(client: ClientFactory, paths: PaddockPaths, offline: boolean): Promise<{ result: AuditVerifyResult; where: string }> {
  const local = async (): Promise<{ result: AuditVerifyResult; where: string }> => ({ result: await verifyAuditDir(auditDirOf(paths.stateDir)), where: auditDirOf(paths.stateDir) });
  if (offline || !existsSync(paths.socketPath)) return local();
  try {
    return { result: await (await client()).request<AuditVerifyResult>('GET', '/audit/verify'), where: 'via paddockd' };
  } catch (e) {
    if (isPaddockError(e) && e.code === ErrorCode.EngineUnavailable) return local(); // a stale socket: paddockd is gone
    throw e;
  }
}

interface ListOptions {
  follow?: boolean;
  sandbox?: string;
  since?: string;
  limit?: string;
  action?: string;
  json?: boolean;
}

export function register(program: Command, client: ClientFactory, paths: () => PaddockPaths = () => resolvePaths()): void {
  const audit = program
    .command('audit')
    .description('the audit log: who ran what, where, with which access')
    .option('-f, --follow', 'keep printing new records as they are written')
    .option('--sandbox <name>', 'only records about this sandbox')
    .option('--since <when>', 'only records since a time (2026-01-31T12:00Z) or a duration back (30m, 2h, 7d)')
    .option('--action <action>', 'only this action or family (sandbox.create, sandbox, policy, network)')
    .option('-n, --limit <n>', 'at most this many records (newest; default 100)')
    .option('--json', 'one JSON record per line')
    .action(async (o: ListOptions) => {
      const c = await client();
      const print = (r: AuditRecord): void => void process.stdout.write((o.json ? JSON.stringify(r) : formatRecord(r)) + '\n');
      if (!o.follow) {
        const recs = await c.request<AuditRecord[]>('GET', `/audit${queryString(o)}`);
        if (!recs.length && !o.json) process.stdout.write('No audit records match.\n');
        recs.forEach(print);
        return;
      }
      await new Promise<void>((done) => {
        const stop = c.stream(`/audit/follow${queryString(o)}`, (line) => {
          if (!line.startsWith('data: ')) return; // SSE comments and blank separators
          try {
            print(JSON.parse(line.slice(6)) as AuditRecord);
          } catch {
            // a line we cannot read is skipped; `paddock audit verify` checks the log itself
          }
        }, done);
        process.once('SIGINT', () => {
          stop();
          done();
        });
      });
    });

  audit
    .command('verify')
    .description('check the hash chain; names the first edited, removed, reordered or truncated record')
    .option('--offline', 'read the files directly instead of asking paddockd')
    .option('--json', 'machine-readable output')
    .action(async (o: { offline?: boolean; json?: boolean }) => {
      const { result, where } = await verifyAnywhere(client, paths(), o.offline ?? false);
      process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : formatVerify(result, where));
      if (!result.ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('the whole log as stored (JSON lines), for archiving or verifying elsewhere')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (o: { output?: string }) => {
      const text = (await (await client()).request<string | undefined>('GET', '/audit/export')) ?? '';
      if (o.output) await writeFile(o.output, text, { mode: 0o600 });
      else process.stdout.write(text);
    });
}
