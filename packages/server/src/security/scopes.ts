import type { ApiKeyScope, RequiredScope } from '@metisai/sdk/schemas';
import type { Principal } from './principal.ts';

/**
 * Which key scopes satisfy each required scope: `manage` includes `run`, which includes `read`; `embed:mint` stands
 * alone; `session` is satisfied by no key. A session satisfies everything.
 */
const SATISFIED_BY: Record<RequiredScope, readonly ApiKeyScope[]> = {
  read: ['read', 'run', 'manage'],
  run: ['run', 'manage'],
  manage: ['manage'],
  'embed:mint': ['embed:mint'],
  session: [],
};

/** Does the caller hold `required`? */
export const grants = (principal: Pick<Principal, 'scopes'>, required: RequiredScope): boolean =>
  principal.scopes === null || SATISFIED_BY[required].some((scope) => principal.scopes!.includes(scope));

/** The scope line of an operation's description in the OpenAPI document. */
export const describeScope = (required: RequiredScope): string =>
  required === 'session'
    ? 'Needs a session (an access token from login or register); API keys are refused.'
    : `Needs a session, or an API key with scope ${SATISFIED_BY[required].map((scope) => `\`${scope}\``).join(', ')}.`;
