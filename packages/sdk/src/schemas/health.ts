import * as z from 'zod/mini';
import { openEnum } from './common.ts';

export const HealthSchema = z.object({
  status: openEnum(['ok', 'unavailable']),
  version: z.string(),
  checks: z.optional(z.record(z.string(), z.string())),
});
export type Health = z.infer<typeof HealthSchema>;
