import type { ApiKeyScope, RequiredScope } from '@metisai/sdk/schemas';
import type { Principal } from './principal.ts';

/**
 * Which key scopes satisfy each required scope: `manage` includes `run`, which includes `read`; `embed:mint` stands
 * alone; `session` and `visitor` are satisfied by no key.
 */
const SATISFIED_BY: Record<RequiredScope, readonly ApiKeyScope[]> = {
  read: ['read', 'run', 'manage'],
  run: ['run', 'manage'],
  manage: ['manage'],
  'embed:mint': ['embed:mint'],
  session: [],
  visitor: [],
};

/**
 * Does the caller hold `required`? A visitor holds `visitor` and nothing else; a session everything but `visitor`; an
 * API key what its scopes give.
 */
export const grants = (principal: Principal, required: RequiredScope): boolean => {
  if (principal.kind === 'visitor') return required === 'visitor';
  if (required === 'visitor') return false;
  return principal.scopes === null || SATISFIED_BY[required].some((scope) => principal.scopes!.includes(scope));
};

/** The scope line of an operation's description in the OpenAPI document. */
export const describeScope = (required: RequiredScope): string => {
  if (required === 'session') return 'Needs a session (an access token from login or register); API keys are refused.';
  if (required === 'visitor') return 'Needs a visitor token (`POST /embed/sessions` or a server-minted one), sent from the origin it was minted for.';
  return `Needs a session, or an API key with scope ${SATISFIED_BY[required].map((scope) => `\`${scope}\``).join(', ')}.`;
};
