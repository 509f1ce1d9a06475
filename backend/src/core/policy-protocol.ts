/**
 * Wire shapes of the policy and audit endpoints (REST + SSE). Pure: zod only, imported by
 * paddockd, the CLI and the UI alongside core/protocol.ts.
 */
import { z } from 'zod';

// ------------------------------------------------------------------------------------ policy

/** One reason a request is refused: the rule (a dotted path in policy.yaml), its file, what to do. */
export const Violation = z.object({
  rule: z.string(),
  /** The policy file that set the rule ("built-in" for Paddock's own defaults). */
  source: z.string(),
  message: z.string(),
});
export type Violation = z.infer<typeof Violation>;

/** A problem in a policy file, with a 1-based line and column when it can be pinned down. */
export const PolicyFileError = z.object({
  file: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  path: z.string(),
  message: z.string(),
});
export type PolicyFileError = z.infer<typeof PolicyFileError>;

/** One effective value and the file it came from. */
export const SourcedValue = z.object({ rule: z.string(), value: z.unknown(), source: z.string() });
export type SourcedValue = z.infer<typeof SourcedValue>;

/** GET /api/v1/policy */
export const PolicyView = z.object({
  files: z.object({
    user: z.object({ path: z.string(), present: z.boolean() }),
    org: z.object({ path: z.string(), present: z.boolean() }).nullable(),
  }),
  /** Every rule in effect, with where its value came from. Rules not listed are unrestricted. */
  rules: z.array(SourcedValue),
  onViolation: z.enum(['stop', 'flag']),
  /** Files that could not be read; while any exists, new sandboxes are refused (fail closed). */
  errors: z.array(PolicyFileError),
  /** Running sandboxes that break the current policy (onViolation: flag). */
  flagged: z.array(z.object({ sandbox: z.string(), violations: z.array(Violation) })),
  loadedAt: z.string(),
});
export type PolicyView = z.infer<typeof PolicyView>;

/** POST /api/v1/policy/check (body: CreateSandboxRequest) */
export const PolicyCheckResult = z.object({
  allowed: z.boolean(),
  violations: z.array(Violation),
  /** The request with the policy's defaults filled in (what `run` would ask for). */
  effective: z.record(z.string(), z.unknown()),
});
export type PolicyCheckResult = z.infer<typeof PolicyCheckResult>;

// ------------------------------------------------------------------------------------- audit

/** Who caused a record: a client kind (see api/context.ts Actor) or paddockd itself. */
export const AuditActor = z.enum(['cli', 'dashboard', 'api', 'paddockd']);
export type AuditActor = z.infer<typeof AuditActor>;

/** SHA-256 of "nothing": the `prev` of the very first record. */
export const AUDIT_GENESIS = '0'.repeat(64);

/**
 * One line of the audit log. Keys are written in exactly this order; `prev` is the SHA-256 (hex)
 * of the previous record's line as stored (without its newline).
 */
export const AuditRecord = z.object({
  seq: z.number().int().positive(),
  time: z.string(),
  actor: z.string(),
  action: z.string(),
  sandbox: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const AuditQuery = z.object({
  sandbox: z.string().optional(),
  /** ISO time, or a duration back from now: 30s, 15m, 2h, 7d. */
  since: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  action: z.string().optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditBadRecord = z.object({
  file: z.string(),
  line: z.number().int(),
  /** The sequence number expected at that place. */
  seq: z.number().int(),
  reason: z.enum(['unparseable', 'sequence', 'hash', 'truncated', 'anchor']),
  message: z.string(),
});
export type AuditBadRecord = z.infer<typeof AuditBadRecord>;

/** GET /api/v1/audit/verify */
export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  files: z.array(z.string()),
  /** seq and hash of the last good record: note it down to detect a later rewrite. */
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  firstBad: AuditBadRecord.nullable(),
  /** An unfinished last line left by a crash mid-write; paddockd drops it on next start. */
  partialTail: z.object({ file: z.string(), line: z.number().int(), bytes: z.number().int() }).nullable(),
  /** Records in which paddockd noted damage it found at the tail on start (a cut tail, a lost anchor). */
  repairs: z.array(z.object({ seq: z.number().int(), action: z.string() })),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
