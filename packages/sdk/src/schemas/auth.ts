import * as z from 'zod/mini';
import { IdSchema, TimestampSchema } from './common.ts';

const utf8Bytes = (value: string) => new TextEncoder().encode(value).length;

/** Shortest password the server accepts (it also refuses the most common passwords, a list only it holds). */
export const MIN_PASSWORD_LENGTH = 10;

/** bcrypt reads at most 72 bytes: a longer password would be silently truncated, so it is refused. */
export const PasswordSchema = z.string().check(
  z.minLength(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`),
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

/** `DELETE /auth/profile`: deleting the account asks for the password again. */
export const AccountDeleteParamsSchema = z.strictObject({
  password: z.string().check(z.maxLength(1024)),
});
export type AccountDeleteParams = z.infer<typeof AccountDeleteParamsSchema>;

/**
 * One signed-in session (an access token's `jti`), as `GET /auth/sessions` lists them: only live ones (not revoked,
 * not expired). `current` marks the session of the request; `ip` and `user_agent` are those of the login.
 */
export const SessionSchema = z.object({
  id: IdSchema,
  created_at: TimestampSchema,
  expires_at: TimestampSchema,
  ip: z.nullable(z.string()),
  user_agent: z.nullable(z.string()),
  current: z.boolean(),
});
export type Session = z.infer<typeof SessionSchema>;

/** `GET /auth/sessions`: every live session of the account (a handful: no pages). */
export const SessionListSchema = z.object({ data: z.array(SessionSchema) });
export type SessionList = z.infer<typeof SessionListSchema>;
