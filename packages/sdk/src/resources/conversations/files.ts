import type { ApiClient } from '../../core/api-client.ts';
import { MetisError } from '../../core/errors.ts';
import { PagePromise } from '../../core/pagination.ts';
import type { RequestOptions } from '../../core/request-options.ts';
import { path } from '../../internal/path.ts';
import { validate } from '../../internal/validate.ts';
import { pageOf } from '../../schemas/common.ts';
import {
  DownloadUrlSchema,
  FileEntrySchema,
  type DownloadUrl,
  type DownloadUrlParams,
  type FileEntry,
  type FileListParams,
  type FileMoveParams,
} from '../../schemas/workspace.ts';
import { APIResource } from '../resource.ts';

const FilePageSchema = pageOf(FileEntrySchema);

/** How far a transfer got. `totalBytes` is unknown for an archive (it is compressed as it streams). */
export interface TransferProgress {
  transferredBytes: number;
  totalBytes: number | undefined;
}

/**
 * What `upload` takes: text (sent as UTF-8), a `Blob` or `File`, bytes (`Uint8Array`, `ArrayBuffer`, a Node `Buffer`), a web `ReadableStream`
 * or any async iterable of bytes (a Node stream). Streams need `size` (the server requires `Content-Length`); browsers
 * cannot stream a request body over HTTP/1.1, so give them a `Blob` or bytes.
 */
export type UploadData = string | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadOptions extends RequestOptions {
  /** Length of `data` in bytes; required for a stream. */
  size?: number | undefined;
  /**
   * Called as bytes go out. In a browser (with `XMLHttpRequest`) a `Blob` or bytes go through XHR, the only way a
   * browser reports upload progress; elsewhere the body is counted as it streams.
   */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
}

export interface DownloadOptions extends RequestOptions {
  /** Called as bytes come in, while you read `body`. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
}

/**
 * A Node `stream.Readable`, typed by what it offers (the SDK ships without Node's types): pass it to
 * `stream.pipeline`, `.pipe()` it, or iterate it.
 */
export interface NodeReadable extends AsyncIterable<Uint8Array> {
  pipe<W extends { write(chunk: Uint8Array): unknown }>(destination: W, options?: { end?: boolean }): W;
  destroy(error?: Error): unknown;
}

/** A file (or archive) on its way down: read `body` once, in whichever form suits. */
export interface FileDownload {
  /** The bytes as a web stream, read as you read it (the server streams too). */
  body: ReadableStream<Uint8Array>;
  /** From `Content-Disposition` (RFC 5987 `filename*` decoded). */
  fileName: string;
  contentType: string;
  /** Bytes, when the server said (`Content-Length`): not for archives. */
  size: number | undefined;
  /** `body` as a Node `Readable` (Node only). */
  nodeStream(): NodeReadable;
  /** All of it in memory. */
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

/** Passes chunks through, reporting the running total. */
const counting = (total: number | undefined, onProgress: (progress: TransferProgress) => void) => {
  let transferredBytes = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      transferredBytes += chunk.byteLength;
      onProgress({ transferredBytes, totalBytes: total });
      controller.enqueue(chunk);
    },
  });
};

/** `filename*=UTF-8''…` (RFC 5987) or `filename="…"` of a `Content-Disposition`. */
function fileNameOf(disposition: string | null): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')?.[1];
  if (extended) return decodeURIComponent(extended);
  return /filename="([^"]*)"/i.exec(disposition ?? '')?.[1] ?? 'download';
}

function toDownload(response: Response, onProgress: DownloadOptions['onProgress']): FileDownload {
  const length = response.headers.get('content-length');
  const size = length === null ? undefined : Number(length);
  const raw = response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  const body = onProgress ? raw.pipeThrough(counting(size, onProgress)) : raw;
  return {
    body,
    fileName: fileNameOf(response.headers.get('content-disposition')),
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    size,
    nodeStream() {
      // Node ≥ 22.3: a built-in module without an import a browser bundler would have to resolve.
      const builtin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
      if (!builtin) throw new TypeError('nodeStream() needs Node.js; read `body` (a web ReadableStream) instead');
      return (builtin('node:stream') as { Readable: { fromWeb(stream: unknown): NodeReadable } }).Readable.fromWeb(body);
    },
    bytes: async () => new Uint8Array(await new Response(body).arrayBuffer()),
    text: () => new Response(body).text(),
  };
}

const isStream = (data: Exclude<UploadData, string>): data is ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> =>
  !(data instanceof Blob) && !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data);

/** A web stream of an async iterable of bytes (a Node stream), pulled as the request is sent. */
const fromIterable = (source: AsyncIterable<Uint8Array>) => {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
};

/**
 * `/api/v1/conversations/{id}/files` and the conversation's archive: the workspace its agent works in. Paths are
 * relative to the workspace root (`src/app.py`; `/workspace/src/app.py` also works). Files stream both ways. From
 * `@metisai/sdk/files`, built on a client: `new Files(client)`.
 *
 * ```ts
 * const files = new Files(client);
 * await files.upload(id, 'data/input.csv', file, { onProgress: (p) => console.log(p.transferredBytes) });
 * const download = await files.download(id, 'report.pdf');
 * await pipeline(download.nodeStream(), createWriteStream(download.fileName)); // Node
 * ```
 */
export class Files extends APIResource {
  /** A directory's entries (hidden ones too), sorted by name (`GET …/files`); `after` is a name. Empty before the first sandbox. */
  list(conversationId: string, params: FileListParams = {}, options?: RequestOptions): PagePromise<FileEntry> {
    return new PagePromise(
      (after) =>
        this.client.get(path`/conversations/${conversationId}/files`, FilePageSchema, { ...options, query: { path: params.path, limit: params.limit, after } }),
      params.after,
    );
  }

  /** One file, streamed (`GET …/files/content`). A directory is a `BadRequestError` (`is_a_directory`). */
  async download(conversationId: string, filePath: string, options: DownloadOptions = {}): Promise<FileDownload> {
    return this.#download(path`/conversations/${conversationId}/files/content`, { path: filePath }, options);
  }

  /** The workspace, or the directory `path`, as a `.tar.gz` stream (`GET …/archive`). */
  async archive(conversationId: string, params: { path?: string } = {}, options: DownloadOptions = {}): Promise<FileDownload> {
    return this.#download(path`/conversations/${conversationId}/archive`, { path: params.path }, options);
  }

  /**
   * Uploads one file (`PUT …/files/content`): parents are created, an existing file is replaced, and the conversation's
   * sandbox is created if it has none yet. Over the server's limit is a `BadRequestError` (413, `limit_bytes` in `body`).
   * A stream is sent once (no retry).
   */
  async upload(conversationId: string, filePath: string, input: UploadData, options: UploadOptions = {}): Promise<FileEntry> {
    return uploadTo(this.client, path`/conversations/${conversationId}/files/content`, filePath, input, options);
  }

  /** Deletes a file, a symlink (not its target) or a directory with everything in it (`DELETE …/files`). */
  remove(conversationId: string, filePath: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/conversations/${conversationId}/files`, query: { path: filePath } });
  }

  /** Moves or renames (`POST …/files/move`); `to` must not exist (`ConflictError`, `file_exists`). Answers the entry at `to`. */
  move(conversationId: string, params: FileMoveParams, options?: RequestOptions): Promise<FileEntry> {
    return this.client.request({ ...options, method: 'post', path: path`/conversations/${conversationId}/files/move`, body: params, schema: FileEntrySchema });
  }

  /** Creates a directory and its parents (`POST …/files/mkdir`); an existing one is fine. */
  mkdir(conversationId: string, dirPath: string, options?: RequestOptions): Promise<FileEntry> {
    return this.client.request({
      ...options,
      method: 'post',
      path: path`/conversations/${conversationId}/files/mkdir`,
      body: { path: dirPath },
      schema: FileEntrySchema,
    });
  }

  /**
   * A signed link (5 minutes, bound to you) that downloads without credentials: for `<a href>` (`POST …/files/download-url`).
   * A file by `path`, or with `archive: true` a directory (default the workspace) as `.tar.gz`.
   */
  downloadUrl(conversationId: string, params: DownloadUrlParams, options?: RequestOptions): Promise<DownloadUrl> {
    return this.client.request({
      ...options,
      method: 'post',
      path: path`/conversations/${conversationId}/files/download-url`,
      body: params,
      schema: DownloadUrlSchema,
    });
  }

  async #download(route: string, query: { path: string | undefined }, options: DownloadOptions): Promise<FileDownload> {
    const { onProgress, ...request } = options;
    const response = await this.client.fetchResponse({ ...request, method: 'get', path: route, query, headers: { Accept: '*/*', ...request.headers } });
    return toDownload(response, onProgress);
  }
}

/**
 * `PUT /api/v1/embed/conversations/{id}/files/content`: a visitor uploads a file into one of its conversations'
 * workspace, e.g. to attach it to a message (`messages.create(id, { content, attachments: [{ path }] })`). Built on a
 * `VisitorClient` (`@metisai/sdk/embed`): `new VisitorFiles(visitorClient)`. Visitors upload only; the changes are
 * `embed.conversations.changes()`.
 */
export class VisitorFiles extends APIResource {
  /** As `Files.upload`, into one of the visitor's conversations (another's is a `NotFoundError`). */
  upload(conversationId: string, filePath: string, input: UploadData, options: UploadOptions = {}): Promise<FileEntry> {
    return uploadTo(this.client, path`/embed/conversations/${conversationId}/files/content`, filePath, input, options);
  }
}

/**
 * Uploads one file to `route` (a `PUT …/files/content`): parents are created, an existing file is replaced. Over the
 * server's limit is a `BadRequestError` (413, `limit_bytes` in `body`). A stream is sent once (no retry).
 */
async function uploadTo(client: ApiClient, route: string, filePath: string, input: UploadData, options: UploadOptions): Promise<FileEntry> {
  const { size, onProgress, ...request } = options;
  const data = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const what = `PUT ${route}`;
  const streamed = isStream(data);
  const total = size ?? (data instanceof Blob ? data.size : streamed ? undefined : (data as ArrayBuffer | ArrayBufferView).byteLength);
  if (total === undefined) throw new TypeError('upload: give `size` for a stream (the server needs Content-Length)');
  if (onProgress && !streamed && typeof XMLHttpRequest !== 'undefined') {
    return xhrUpload(client, route, filePath, data as XMLHttpRequestBodyInit, total, onProgress, request);
  }
  let body: BodyInit = streamed ? (data instanceof ReadableStream ? data : fromIterable(data)) : (data as BodyInit);
  if (onProgress) body = (body instanceof ReadableStream ? body : new Blob([body as BlobPart]).stream()).pipeThrough(counting(total, onProgress));
  const response = await client.fetchResponse({
    ...request,
    method: 'put',
    path: route,
    query: { path: filePath },
    rawBody: body,
    headers: {
      'Content-Type': 'application/octet-stream',
      ...(body instanceof ReadableStream ? { 'Content-Length': String(total) } : {}),
      ...request.headers,
    },
    maxRetries: body instanceof ReadableStream ? 0 : request.maxRetries,
    timeoutMs: request.timeoutMs ?? 0,
  });
  return validate(FileEntrySchema, await response.json(), what, response.status, response.headers);
}

/** The upload through `XMLHttpRequest`, whose `upload.onprogress` is how a browser reports upload progress. */
async function xhrUpload(
  client: ApiClient,
  route: string,
  filePath: string,
  data: XMLHttpRequestBodyInit,
  total: number,
  onProgress: (progress: TransferProgress) => void,
  request: RequestOptions,
): Promise<FileEntry> {
  const headers = { ...(await client.requestHeaders()), 'Content-Type': 'application/octet-stream', ...request.headers };
  const xhr = new XMLHttpRequest();
  const done = new Promise<void>((resolve, reject) => {
    xhr.onload = () => resolve();
    xhr.onerror = () => reject(new MetisError({ code: 'connection_error', message: 'Connection error during the upload' }));
    xhr.onabort = () => reject(new MetisError({ code: 'aborted', message: 'Upload aborted', cause: request.signal?.reason }));
  });
  xhr.upload.onprogress = (event) => onProgress({ transferredBytes: event.loaded, totalBytes: total });
  request.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
  xhr.open('PUT', `${client.apiUrl}${route}?${new URLSearchParams({ path: filePath })}`);
  for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
  xhr.send(data);
  await done;
  // What errors read: the request id and when to retry.
  const responseHeaders = new Headers();
  for (const name of ['x-request-id', 'retry-after']) {
    const value = xhr.getResponseHeader(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(xhr.responseText);
  } catch {
    parsed = undefined;
  }
  if (xhr.status < 200 || xhr.status >= 300) throw MetisError.fromResponse(xhr.status, parsed, responseHeaders);
  return validate(FileEntrySchema, parsed, `PUT ${route}`, xhr.status, responseHeaders);
}
