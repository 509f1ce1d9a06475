/** Reading the audit log back: filtered queries (newest first, returned oldest first) and raw export. */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PaddockError } from '../core/errors.js';
import type { AuditQuery, AuditRecord } from '../core/policy-protocol.js';
import { listAuditFiles } from './log.js';

export const DEFAULT_QUERY_LIMIT = 100; // a screenful or two; ask for more with --limit

const DURATION_RE = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m", "2h", "7d" back from `now`, or an ISO date/time. */
export function parseSince(s: string, now: Date = new Date()): Date {
  const m = DURATION_RE.exec(s.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * UNIT_MS[m[2]!]!);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new PaddockError(ErrorCode.BadInput, `Cannot read --since "${s}". Use a duration such as 30m, 2h or 7d, or a date such as 2026-01-31T12:00:00Z.`);
  return new Date(t);
}

export interface QueryOptions {
  sandbox?: string;
  since?: Date;
  limit?: number;
  action?: string;
}

export function toQueryOptions(q: AuditQuery, now = new Date()): QueryOptions {
  return {
    ...(q.sandbox ? { sandbox: q.sandbox } : {}),
    ...(q.since ? { since: parseSince(q.since, now) } : {}),
    ...(q.limit ? { limit: q.limit } : {}),
    ...(q.action ? { action: q.action } : {}),
  };
}

export function matches(r: AuditRecord, o: QueryOptions): boolean {
  if (o.sandbox !== undefined && r.sandbox !== o.sandbox) return false;
  if (o.action !== undefined && r.action !== o.action && !r.action.startsWith(o.action + '.')) return false;
  if (o.since && Date.parse(r.time) < o.since.getTime()) return false;
  return true;
}

/** The last `limit` matching records, oldest first. Reads files newest first and stops early. */
export async function queryAudit(dir: string, o: QueryOptions = {}): Promise<AuditRecord[]> {
  const limit = o.limit ?? DEFAULT_QUERY_LIMIT;
  const files = await listAuditFiles(dir);
  const out: AuditRecord[] = [];
  for (let fi = files.length - 1; fi >= 0 && out.length < limit; fi--) {
    const lines = (await readFile(join(dir, files[fi]!), 'utf8')).split('\n');
    let older = false;
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      const line = lines[i]!;
      if (!line) continue;
      let r: AuditRecord;
      try {
        r = JSON.parse(line) as AuditRecord;
      } catch {
        continue; // a partial tail or damage: `verify` reports it; queries show what can be read
      }
      if (o.since && Date.parse(r.time) < o.since.getTime()) {
        older = true;
        break;
      }
      if (matches(r, o)) out.push(r);
    }
    if (older) break;
  }
  return out.reverse();
}

/** Every file's bytes in chain order, exactly as stored, so an export can be verified elsewhere. */
export async function* exportAudit(dir: string): AsyncGenerator<Buffer> {
  for (const f of await listAuditFiles(dir)) {
    for await (const chunk of createReadStream(join(dir, f))) yield chunk as Buffer;
  }
}
