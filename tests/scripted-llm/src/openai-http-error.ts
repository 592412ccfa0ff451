import type { ServerResponse } from 'node:http';

/** The `error` object of OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface OpenAiHttpErrorInit {
  type?: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

const defaultTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'requests',
};

/** Thrown anywhere while serving a request; `writeOpenAiError` turns it into OpenAI's error response. */
export class OpenAiHttpError extends Error {
  override name = 'OpenAiHttpError';
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, init: OpenAiHttpErrorInit = {}) {
    super(message);
    this.status = status;
    this.type = init.type ?? defaultTypes[status] ?? 'server_error';
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.headers = init.headers ?? {};
  }

  toJSON(): { error: OpenAiErrorObject } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The one place that writes error responses. Anything that is not an `OpenAiHttpError` becomes a 500 the client should not retry. */
export const writeOpenAiError = (res: ServerResponse, error: unknown): void => {
  const httpError =
    error instanceof OpenAiHttpError
      ? error
      : new OpenAiHttpError(500, `scripted-llm internal error: ${error instanceof Error ? error.message : String(error)}`, {
          code: 'scripted_llm_internal_error',
          headers: { 'x-should-retry': 'false' },
        });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(httpError.status, { ...httpError.headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(httpError.toJSON()));
};
