/**
 * The one error type users can see. `code` is stable; it is mapped to an HTTP status,
 * a WebSocket close code or a CLI exit code only at the edges.
 * Every message says what happened and what to do about it.
 */
export const ErrorCode = {
  BadInput: 'bad_input',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Unauthorized: 'unauthorized',
  PolicyDenied: 'policy_denied',
  EngineUnavailable: 'engine_unavailable',
  RuntimeUnavailable: 'runtime_unavailable',
  ImageBuildFailed: 'image_build_failed',
  Engine: 'engine_error',
  /** The secret store cannot be opened (missing/wrong/unreadable key, damaged file); nothing was changed. */
  SecretStore: 'secret_store_unavailable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class PaddockError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'PaddockError';
    this.code = code;
    this.details = details;
  }
}

export function isPaddockError(e: unknown): e is PaddockError {
  return e instanceof PaddockError;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_input: 400,
  unauthorized: 401,
  policy_denied: 403,
  not_found: 404,
  conflict: 409,
  image_build_failed: 500,
  runtime_unavailable: 422,
  engine_unavailable: 503,
  engine_error: 502,
  secret_store_unavailable: 503,
  internal: 500,
};
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** CLI exit codes: 1 generic, 2 usage/bad input, 3 not found, 4 conflict, 5 policy, 6 engine, 7 image build, 8 secret store. */
const EXIT_CODE: Record<ErrorCode, number> = {
  bad_input: 2,
  unauthorized: 2,
  not_found: 3,
  conflict: 4,
  policy_denied: 5,
  engine_unavailable: 6,
  engine_error: 6,
  runtime_unavailable: 2,
  image_build_failed: 7,
  secret_store_unavailable: 8,
  internal: 1,
};
export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODE[code] ?? 1;
}

export function errorCodeFromString(s: string): ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(s) ? (s as ErrorCode) : ErrorCode.Internal;
}
