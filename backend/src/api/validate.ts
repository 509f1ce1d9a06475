/** Request validation shared by every route module: a zod failure becomes one bad_input error. */
import type { z } from 'zod';
import { ErrorCode, PaddockError } from '../core/errors.js';

export function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new PaddockError(ErrorCode.BadInput, `${i?.path.length ? i.path.join('.') + ': ' : ''}${i?.message ?? 'invalid request'}`);
  }
  return r.data;
}
