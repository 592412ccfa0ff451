import { describe, expect, test } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  MetisError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
} from '../src/index.ts';

const body = (code: string) => ({ error: { code, message: `msg ${code}`, request_id: 'req-body' } });

describe('MetisError.fromResponse', () => {
  test.each([
    [400, BadRequestError],
    [413, BadRequestError],
    [415, BadRequestError],
    [422, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [429, RateLimitError],
    [500, ServerError],
    [502, ServerError],
    [503, ServerError],
  ])('%i → %o', (status, ErrorClass) => {
    const error = MetisError.fromResponse(status, body('some_code'));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(MetisError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(ErrorClass.name);
    expect(error).toMatchObject({ status, code: 'some_code', message: 'msg some_code', requestId: 'req-body' });
  });

  test('an unlisted 4xx is a plain MetisError', () => {
    const error = MetisError.fromResponse(418, body('teapot'));
    expect(error.constructor).toBe(MetisError);
    expect(error.status).toBe(418);
  });

  test('details and extra fields are kept; the request id falls back to X-Request-Id', () => {
    const error = MetisError.fromResponse(
      409,
      { error: { code: 'invalid_transition', message: 'no', current_status: 'running', details: [{ path: 'x', message: 'y' }] } },
      new Headers({ 'x-request-id': 'req-header' }),
    );
    expect(error.requestId).toBe('req-header');
    expect(error.details).toEqual([{ path: 'x', message: 'y' }]);
    expect((error.body as any).error.current_status).toBe('running');
  });

  test('a body that is not an error body still gives a usable error', () => {
    const error = MetisError.fromResponse(502, '<html>bad gateway</html>');
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'http_502', message: 'HTTP 502' });
  });
});
