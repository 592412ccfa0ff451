import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatRequest } from './chat-request.ts';
import { OpenAiHttpError, writeOpenAiError } from './openai-http-error.ts';
import { playScript, type Script } from './script.ts';
import { serveChatCompletion } from './serve-chat-completion.ts';

export interface ScriptedLlmOptions {
  script: Script;
  /** Defaults to a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** When set, requests must send `Authorization: Bearer <apiKey>`; others get OpenAI's 401. */
  apiKey?: string;
  /** Pause between streamed chunks; default 0. Turns can override it. */
  chunkDelayMs?: number;
  /** The model `GET /v1/models` lists; completions echo the requested model. Default `scripted-llm`. */
  model?: string;
}

/** A chat-completion request that reached the script. */
export interface RecordedRequest {
  body: ChatRequest;
  headers: IncomingHttpHeaders;
  /** Set once the client went away before the response was complete (abort, hang, stop). */
  aborted: boolean;
}

export interface ScriptedLlm {
  /** Base URL for the openai client, including `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every chat-completion request that reached the script, in arrival order (not reset by `setScript`). */
  readonly requests: readonly RecordedRequest[];
  /** Replaces the script; an array script starts again at its first turn, a function's index starts again at 0. */
  setScript(script: Script): void;
  /** Resolves once at least `count` requests have been recorded in total. */
  waitForRequests(count: number): Promise<readonly RecordedRequest[]>;
  /** Ends open requests (including hanging ones) and stops listening. */
  close(): Promise<void>;
}

const maskKey = (key: string): string => (key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-4)}`);

const checkApiKey = (req: IncomingMessage, apiKey: string | undefined): void => {
  if (apiKey === undefined) return;
  const header = req.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  if (!given) {
    throw new OpenAiHttpError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  if (given !== apiKey) {
    throw new OpenAiHttpError(401, `Incorrect API key provided: ${maskKey(given)}.`, { code: 'invalid_api_key' });
  }
};

const formatHost = (host: string): string => {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

/** Starts the server; resolves once it listens. */
export const startScriptedLlm = async (options: ScriptedLlmOptions): Promise<ScriptedLlm> => {
  const host = options.host ?? '127.0.0.1';
  const model = options.model ?? 'scripted-llm';
  const modelObject = { id: model, object: 'model', created: 0, owned_by: 'scripted-llm' };
  const requests: RecordedRequest[] = [];
  const waiters = new Set<{ count: number; resolve: () => void; reject: (error: Error) => void }>();
  const open = new Set<AbortController>();
  let script = options.script;
  let scriptIndex = 0;
  let httpRequestCount = 0;

  const record = (body: ChatRequest, req: IncomingMessage, res: ServerResponse): number => {
    const entry: RecordedRequest = { body, headers: req.headers, aborted: false };
    requests.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    for (const waiter of waiters) {
      if (requests.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
    return requests.length;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
    const known = (req.method === 'POST' && path === '/v1/chat/completions') || (req.method === 'GET' && (path === '/v1/models' || modelMatch));
    if (!known) throw new OpenAiHttpError(404, `Invalid URL (${req.method} ${path || '/'})`);
    checkApiKey(req, options.apiKey);

    if (req.method === 'GET') {
      const id = modelMatch ? decodeURIComponent(modelMatch[1] ?? '') : undefined;
      if (id !== undefined && id !== model) {
        throw new OpenAiHttpError(404, `The model '${id}' does not exist or you do not have access to it.`, { code: 'model_not_found' });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(id === undefined ? { object: 'list', data: [modelObject] } : modelObject));
      return;
    }

    await serveChatCompletion(req, res, {
      signal,
      chunkDelayMs: options.chunkDelayMs ?? 0,
      playTurn: async (body) => {
        const requestNumber = record(body, req, res);
        const turn = await playScript(script, body, scriptIndex++);
        return { turn, requestNumber };
      },
    });
  };

  const server = createServer((req, res) => {
    const controller = new AbortController();
    open.add(controller);
    res.on('close', () => {
      open.delete(controller);
      controller.abort();
    });
    httpRequestCount += 1;
    res.setHeader('x-request-id', `req_scripted_${httpRequestCount}`);
    route(req, res, controller.signal).catch((error: unknown) => {
      if (controller.signal.aborted) res.destroy();
      else writeOpenAiError(res, error);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${formatHost(host)}:${port}/v1`,
    port,
    requests,
    setScript: (next) => {
      script = next;
      scriptIndex = 0;
    },
    waitForRequests: (count) =>
      requests.length >= count ? Promise.resolve(requests) : new Promise((resolve, reject) => waiters.add({ count, resolve: () => resolve(requests), reject })),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const waiter of waiters) waiter.reject(new Error(`scripted-llm closed before ${waiter.count} requests arrived`));
        waiters.clear();
        for (const controller of open) controller.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
};
