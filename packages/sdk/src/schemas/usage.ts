import * as z from 'zod/mini';

/** Days `GET /usage` may cover: today and the days before it. */
export const MAX_USAGE_DAYS = 366;

const isTimeZone = (name: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
};

/**
 * `GET /usage?days=&tz=`: token usage per day over the last `days` days (default 14, today included), days counted in
 * the IANA time zone `tz` (default `UTC`).
 */
export const UsageListParamsSchema = z.strictObject({
  days: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_USAGE_DAYS))),
  tz: z.optional(z.string().check(z.maxLength(64), z.refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai'))),
});
export type UsageListParams = z.input<typeof UsageListParamsSchema>;

/** One day's LLM usage, from the stored LLM calls of the caller's conversations. */
export const UsageDaySchema = z.object({
  /** `YYYY-MM-DD` in the requested time zone. */
  date: z.string(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  llm_calls: z.number(),
});
export type UsageDay = z.infer<typeof UsageDaySchema>;

/** Every day of the range, oldest first, days without calls included (zeros). */
export const UsageListSchema = z.object({
  time_zone: z.string(),
  data: z.array(UsageDaySchema),
});
export type UsageList = z.infer<typeof UsageListSchema>;
