import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import { ErrorCode } from '@metisai/sdk/schemas';
import { IdempotencyKeyEntity } from '../../entities/index.ts';
import { ConflictError, InvalidRequestError, UnprocessableError } from '../../errors.ts';
import type { AppContext, AppState } from '../app-state.ts';
import { toErrorResponse } from '../error-response.ts';
import { decrypt, encrypt } from '../../security/cipher.ts';

const KEY = /^[A-Za-z0-9._:-]{1,255}$/;
/** Kept this long; a retry after that runs again. */
const TTL_MS = 24 * 3600 * 1000;

/**
 * `Idempotency-Key` on POST: the first request runs and its answer (unless a 5xx) is stored;
 * a retry with the same key and body gets that answer again and does nothing twice.
 * Keys are scoped to the caller's credential — the session or API key, not just the user; a visitor — (or the client
 * IP before login) and the route: an answer that minted a key or a token is replayed only to the credential that asked for it.
 */
export const idempotency = (encryptionKey: Buffer): Middleware<AppState> => {
  let lastSweep = 0;
  return async (ctx: AppContext, next) => {
    const key = ctx.get('Idempotency-Key');
    if (ctx.method !== 'POST' || !key) return next();
    if (!KEY.test(key)) {
      throw new InvalidRequestError(ErrorCode.validation, 'Idempotency-Key must be 1–255 characters of letters, digits and . _ : -', {
        details: [{ path: 'Idempotency-Key', message: 'has an invalid format' }],
      });
    }
    const em = ctx.state.em.fork();
    if (Date.now() - lastSweep > 60_000) {
      lastSweep = Date.now();
      await em.nativeDelete(IdempotencyKeyEntity, { createdAt: { $lt: new Date(Date.now() - TTL_MS) } });
    }
    const principal = ctx.state.principal as AppState['principal'] | undefined;
    const credential = !principal
      ? undefined
      : principal.kind === 'visitor'
        ? `visitor:${principal.visitorId}`
        : principal.sessionId
          ? `session:${principal.sessionId}`
          : `key:${principal.apiKeyId}`;
    const caller = principal ? `${principal.userId}:${credential}` : `ip:${ctx.ip}`;
    const scope = `${caller} POST ${ctx.path}`;
    // The body as sent: re-serialising the parsed one could overflow the stack on deeply nested JSON.
    const requestHash = createHash('sha256')
      .update(ctx.request.rawBody ?? '')
      .digest('hex');
    const [claimed] = await em.execute<{ key: string }[]>(
      'insert into idempotency_keys (scope, key, request_hash, user_id, created_at) values (?, ?, ?, ?, now()) on conflict do nothing returning key',
      [scope, key, requestHash, principal?.userId ?? null],
    );
    if (!claimed) {
      const first = await em.findOneOrFail(IdempotencyKeyEntity, { scope, key });
      if (first.requestHash !== requestHash) {
        throw new UnprocessableError(ErrorCode.idempotencyKeyReused, 'This Idempotency-Key was used with a different request body');
      }
      if (first.status === null || first.status === undefined) {
        throw new ConflictError(ErrorCode.idempotencyKeyInProgress, 'A request with this Idempotency-Key is still being processed; retry shortly', {
          retryAfterSeconds: 1,
        });
      }
      ctx.status = first.status;
      ctx.body = first.responseBody ? (JSON.parse(decrypt(encryptionKey, first.responseBody, `${scope}\n${key}`)) as unknown) : undefined;
      ctx.set('Idempotent-Replayed', 'true');
      return;
    }
    const store = (status: number, body: unknown) =>
      status >= 500
        ? em.nativeDelete(IdempotencyKeyEntity, { scope, key })
        : em.nativeUpdate(
            IdempotencyKeyEntity,
            { scope, key },
            // Answers can carry credentials (a new API key, an access token): stored encrypted.
            { status, responseBody: body === undefined || body === null ? null : encrypt(encryptionKey, JSON.stringify(body), `${scope}\n${key}`) },
          );
    try {
      await next();
    } catch (error) {
      const response = toErrorResponse(error, ctx.state.requestId);
      await store(response.status, response.body);
      throw error;
    }
    await store(ctx.status, ctx.body);
  };
};
