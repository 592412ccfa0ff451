import * as z from 'zod/mini';

export const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  checks: z.optional(z.record(z.string(), z.string())),
});
export type Health = z.infer<typeof HealthSchema>;
