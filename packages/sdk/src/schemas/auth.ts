import * as z from 'zod/mini';
import { IdSchema, TimestampSchema } from './common.ts';

const utf8Bytes = (value: string) => new TextEncoder().encode(value).length;

/** bcrypt reads at most 72 bytes: a longer password would be silently truncated, so it is refused. */
export const PasswordSchema = z.string().check(
  z.minLength(8, 'must be at least 8 characters'),
  z.refine((value) => utf8Bytes(value) <= 72, 'must be at most 72 bytes in UTF-8'),
);

export const EmailSchema = z.email().check(z.maxLength(254));

export const UserSchema = z.object({
  id: IdSchema,
  email: z.string(),
  name: z.nullable(z.string()),
  created_at: TimestampSchema,
});
export type User = z.infer<typeof UserSchema>;

export const RegisterParamsSchema = z.strictObject({
  email: EmailSchema,
  password: PasswordSchema,
  name: z.optional(z.nullable(z.string().check(z.trim(), z.maxLength(200)))),
});
export type RegisterParams = z.infer<typeof RegisterParamsSchema>;

export const LoginParamsSchema = z.strictObject({
  email: z.string().check(z.maxLength(254)),
  password: z.string().check(z.maxLength(1024)),
});
export type LoginParams = z.infer<typeof LoginParamsSchema>;

export const PasswordChangeParamsSchema = z.strictObject({
  current_password: z.string().check(z.maxLength(1024)),
  new_password: PasswordSchema,
});
export type PasswordChangeParams = z.infer<typeof PasswordChangeParamsSchema>;

export const AuthTokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number(),
  user: UserSchema,
});
export type AuthToken = z.infer<typeof AuthTokenSchema>;
