import type * as z from 'zod/mini';
import { invalidResponse } from '../core/errors.ts';

/**
 * Checks `data` against `schema` and answers `data` itself, not the parsed copy: zod objects drop unknown keys,
 * and fields added by a newer server must reach the caller. A mismatch is a `MetisError` with code `invalid_response`.
 */
export function validate<S extends z.ZodMiniType>(schema: S, data: unknown, what: string, status?: number, headers?: Headers): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    throw invalidResponse(what, problems, status, headers, data);
  }
  return data as z.infer<S>;
}
