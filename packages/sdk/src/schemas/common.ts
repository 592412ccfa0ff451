import * as z from 'zod/mini';

/**
 * An enum a newer server may extend. Requests use the closed `z.enum`; responses use this, so that a value added by a
 * later server version (a new agent status, state, reason or code) parses instead of failing with `invalid_response`.
 * Typed `Known | (string & {})`: editors still complete the known values, and any other string is accepted.
 */
export const openEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.union([z.enum(values), z.string()]) as unknown as z.ZodMiniType<T[number] | (string & {}), T[number] | (string & {})>;

/** Resource ids are UUIDs (version 7, so they sort by creation time). */
export const IdSchema = z.uuid();

export const TimestampSchema = z.iso.datetime({ offset: true });

/** Query of every list endpoint: `?limit=&after=`. */
export const ListParamsSchema = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100))),
  after: z.optional(IdSchema),
});
export type ListParams = z.infer<typeof ListParamsSchema>;

/** Every list answers `{ data, has_more, next_after }`; pass `next_after` as `after` for the next page. */
export const pageOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({
    data: z.array(item),
    has_more: z.boolean(),
    next_after: z.nullable(z.string()),
  });

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_after: string | null;
}

/** A name usable as an environment variable (`OPENAI_API_KEY`). */
export const EnvNameSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name (letters, digits and _, not starting with a digit)'),
  );
