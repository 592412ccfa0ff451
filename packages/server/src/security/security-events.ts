import type { Logger } from 'pino';

/**
 * Security-relevant events (OWASP ASVS V7): one structured log line each, with a stable `security_event` name and the
 * ids involved — never a credential, a password or a secret value.
 */
export type SecurityEvent =
  | 'login_succeeded'
  | 'login_failed'
  | 'registered'
  | 'logout'
  | 'password_changed'
  | 'account_deleted'
  | 'account_delete_failed'
  | 'session_revoked'
  | 'sessions_revoked'
  | 'api_key_created'
  | 'api_key_deleted'
  | 'auth_failed'
  | 'scope_denied'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'stream_revoked'
  | 'egress_refused'
  | 'publishable_key_created'
  | 'publishable_key_updated'
  | 'publishable_key_rotated'
  | 'publishable_key_revoked'
  | 'visitor_created'
  | 'embed_token_minted'
  | 'origin_refused';

/** Events that tell of a refusal or an attack are warnings; the rest are information. */
const WARNINGS: ReadonlySet<SecurityEvent> = new Set([
  'login_failed',
  'account_delete_failed',
  'auth_failed',
  'scope_denied',
  'rate_limited',
  'quota_exceeded',
  'egress_refused',
  'origin_refused',
]);

/** Logs `event` as `{ security_event, …fields }` on `log` (a request's logger carries its `request_id`). */
export function logSecurityEvent(log: Logger, event: SecurityEvent, fields: Record<string, unknown> = {}): void {
  const line = { security_event: event, ...fields };
  if (WARNINGS.has(event)) log.warn(line, `security: ${event}`);
  else log.info(line, `security: ${event}`);
}
