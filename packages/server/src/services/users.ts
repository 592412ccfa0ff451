import type { User as UserJson } from '@metisai/sdk/schemas';
import type { User } from '../entities/index.ts';

export const toUserJson = (user: User): UserJson => ({
  id: user.id,
  email: user.email,
  name: user.name ?? null,
  created_at: user.createdAt.toISOString(),
});
