import type { z } from 'zod/mini';
import type { ErrorDetail } from '@metisai/sdk/schemas';
import { validationError } from '../errors.ts';

type Issue = z.core.$ZodIssue;

const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');

/** What a JSON value is, in words: `an array`, `a string`, `null`, … */
const jsonKind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

/**
 * The 400 for a request body that is JSON but not an object (an array, a string, a number, `true`, `null`) where
 * every route takes an object: a `validation_error` whose one detail, and so `field`, is the body itself — path `''`,
 * the root, as in `details`' dotted convention.
 */
export const bodyNotAnObject = (value: unknown) =>
  validationError(`Invalid request body: the body must be a JSON object, not ${jsonKind(value)}`, [{ path: '', message: 'must be a JSON object' }]);

/** zod issues → `details`: one per field, `path` dotted (`''`: the value itself); unknown keys are named one by one. */
export function issuesToDetails(issues: readonly Issue[], root?: string): ErrorDetail[] {
  const prefix = (path: readonly PropertyKey[]) => dotted(root ? [root, ...path] : path);
  return issues.flatMap((issue): ErrorDetail[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: prefix([...issue.path, key]), message: 'is not a known field' }));
    }
    return [{ path: prefix(issue.path), message: issue.message }];
  });
}

/** PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses unpaired surrogates: refuse them up front. */
function unstorableStrings(value: unknown, path: PropertyKey[] = []): ErrorDetail[] {
  if (typeof value === 'string') {
    return value.includes('\u0000') || !value.isWellFormed() ? [{ path: dotted(path), message: 'must not contain NUL characters or unpaired surrogates' }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => unstorableStrings(item, [...path, index]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => unstorableStrings(item, [...path, key]));
  return [];
}

const invalid = (where: 'body' | 'query', details: ErrorDetail[]) => {
  const summary = details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
  return validationError(`Invalid request ${where}: ${summary}`, details);
};

/** Parses `input` with `schema` or throws a 400 naming every field at fault (a body that is not an object: `bodyNotAnObject`). */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const notAnObject = result.error.issues.some((issue) => issue.path.length === 0 && issue.code === 'invalid_type' && issue.expected === 'object');
    if (where === 'body' && notAnObject) throw bodyNotAnObject(input);
    throw invalid(where, issuesToDetails(result.error.issues));
  }
  // Checked on the parsed value, whose depth the schema bounds.
  const unstorable = unstorableStrings(result.data);
  if (unstorable.length > 0) throw invalid(where, unstorable);
  return result.data;
}
