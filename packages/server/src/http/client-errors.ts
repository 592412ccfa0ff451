import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCode, type ErrorBody } from '@metisai/sdk/schemas';

/** What Node's HTTP parser refused, as the API answers it (status, code, message). */
interface ClientErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
}

/**
 * The answer to a request Node's HTTP parser refused before Koa saw it, by the error's `code` — the same statuses Node
 * itself sends (`lib/_http_server.js`, `socketOnError`): 431 for headers (request line included) over
 * `--max-http-header-size` (16 KiB by default), 413 for chunk extensions over Node's limit, 408 when the headers or the
 * request did not arrive within `headersTimeout` / `requestTimeout`, 400 for anything else malformed.
 */
export function clientErrorAnswer(errorCode: string | undefined): ClientErrorAnswer {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: ErrorCode.requestHeaderTooLarge,
        message: 'The request line and headers are larger than this server accepts (16 KiB in all): shorten the URL or the headers',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: ErrorCode.payloadTooLarge, message: 'The chunk extensions of the request body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: ErrorCode.requestTimeout, message: 'The request did not arrive in time' };
    default:
      return { status: 400, code: ErrorCode.badRequest, message: 'The request is not valid HTTP/1.1' };
  }
}

/** The raw HTTP/1.1 response for `answer`: the API's error body, `X-Request-Id`, and the connection closed. */
export function clientErrorResponse(answer: ClientErrorAnswer, requestId: string): string {
  const body: ErrorBody = { error: { code: answer.code, message: answer.message, request_id: requestId } };
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    `X-Request-Id: ${requestId}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}

/**
 * Answers requests that Node's HTTP parser refuses (Node's `clientError` event) with the API's JSON error body instead
 * of Node's empty one: see `clientErrorAnswer` for the statuses. Nothing is written when the peer is gone or a response
 * already began on the socket; the socket is then closed. One log line per refusal names the parser's code and reason
 * only: the bytes received (`rawPacket`, which may hold an `Authorization` header) are never logged.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { reason?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const answer = clientErrorAnswer(error.code);
    const requestId = randomUUID();
    logger.info(
      { request_id: requestId, status: answer.status, code: answer.code, parser_code: error.code, reason: error.reason, ip: socket.remoteAddress },
      'request refused by the HTTP parser',
    );
    socket.end(clientErrorResponse(answer, requestId));
  });
}
