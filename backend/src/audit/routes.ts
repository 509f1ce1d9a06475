/**
 * GET /api/v1/audit?sandbox=&since=&limit=&action=   → AuditRecord[] (oldest first)
 * GET /api/v1/audit/verify                            → AuditVerifyResult
 * GET /api/v1/audit/export                            → application/x-ndjson, the files as stored
 * GET /api/v1/audit/follow?sandbox=&since=&limit=     → SSE: matching backlog, then new records
 */
import { Readable } from 'node:stream';
import type { AppContext, RouteModule } from '../api/context.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { AuditQuery, type AuditRecord } from '../core/policy-protocol.js';
import { API_PREFIX } from '../core/protocol.js';
import type { AuditHooks } from './hooks.js';
import { exportAudit, matches, queryAudit, toQueryOptions } from './query.js';

/** Key under AppContext.services. */
export const AUDIT_SERVICE = 'audit';
export const SSE_HEARTBEAT_MS = 15_000; // keeps proxies and idle-timeouts from closing a quiet follow
export const FOLLOW_BACKLOG = 20; // like `tail -f`: a little context before the live records

export function auditFrom(ctx: AppContext): AuditHooks {
  const a = ctx.services[AUDIT_SERVICE] as AuditHooks | undefined;
  if (!a) throw new PaddockError(ErrorCode.Internal, 'The audit log is not running in this paddockd. Restart paddockd; if it persists, check its log.');
  return a;
}

function parseQuery(q: unknown): AuditQuery {
  const r = AuditQuery.safeParse(q ?? {});
  if (!r.success) throw new PaddockError(ErrorCode.BadInput, `Bad audit query: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  return r.data;
}

export const registerAuditRoutes: RouteModule = (app, ctx) => {
  // Followers are hijacked responses the server would wait for forever on close: end them first.
  const followers = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...followers]) end();
    done();
  });

  app.get(`${API_PREFIX}/audit`, async (req) => {
    const audit = auditFrom(ctx);
    await audit.log.drain();
    return queryAudit(audit.log.dir, toQueryOptions(parseQuery(req.query)));
  });

  app.get(`${API_PREFIX}/audit/verify`, async () => {
    const audit = auditFrom(ctx);
    await audit.log.drain();
    return audit.log.verify();
  });

  app.get(`${API_PREFIX}/audit/export`, async (_req, reply) => {
    const audit = auditFrom(ctx);
    await audit.log.drain();
    reply.header('content-type', 'application/x-ndjson');
    reply.header('content-disposition', `attachment; filename="paddock-audit-${new Date().toISOString().slice(0, 10)}.jsonl"`);
    return reply.send(Readable.from(exportAudit(audit.log.dir)));
  });

  app.get(`${API_PREFIX}/audit/follow`, async (req, reply) => {
    const audit = auditFrom(ctx);
    const q = parseQuery(req.query);
    const opts = toQueryOptions({ ...q, limit: q.limit ?? FOLLOW_BACKLOG });
    // Subscribe before reading the backlog so nothing falls in between; dedupe by seq.
    const buffered: AuditRecord[] = [];
    let live: ((r: AuditRecord) => void) | null = null;
    const unsubscribe = audit.log.subscribe((r) => (live ? live(r) : buffered.push(r)));
    try {
      await audit.log.drain();
      const backlog = await queryAudit(audit.log.dir, opts);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let lastSeq = 0;
      const send = (r: AuditRecord): void => {
        if (r.seq <= lastSeq || !matches(r, { ...(opts.sandbox ? { sandbox: opts.sandbox } : {}), ...(opts.action ? { action: opts.action } : {}) })) return;
        lastSeq = r.seq;
        res.write(`data: ${JSON.stringify(r)}\n\n`);
      };
      for (const r of backlog) send(r);
      lastSeq = Math.max(lastSeq, backlog.length ? backlog[backlog.length - 1]!.seq : 0);
      for (const r of buffered) send(r);
      live = send;
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
      const end = (): void => {
        if (!followers.delete(end)) return;
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
      };
      followers.add(end);
      req.raw.on('close', end);
      res.on('error', end);
    } catch (e) {
      unsubscribe();
      throw e;
    }
  });
};
