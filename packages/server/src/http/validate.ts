import type { z } from 'zod/mini';
import type { ErrorDetail } from '@metisai/sdk/schemas';
import { validationError } from './api-error.ts';

type Issue = z.core.$ZodIssue;

const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');

/** zod issues → `details`: one per field, `path` dotted; unknown keys are named one by one. */
export function issuesToDetails(issues: readonly Issue[], root?: string): ErrorDetail[] {
  const prefix = (path: readonly PropertyKey[]) => dotted(root ? [root, ...path] : path);
  return issues.flatMap((issue): ErrorDetail[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: prefix([...issue.path, key]), message: 'is not a known field' }));
    }
    return [{ path: prefix(issue.path), message: issue.message }];
  });
}

/** Parses `input` with `schema` or throws a 400 naming every field at fault. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues);
  const summary = details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
  throw validationError(`Invalid request ${where}: ${summary}`, details);
}
