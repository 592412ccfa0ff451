import http from 'node:http';
import pg from 'pg';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Http, Reply } from '../support/http.ts';

/** Workspace calls of one user on one server, over real HTTP: raw bodies where the JSON client cannot send them. */
export class WorkspaceClient {
  readonly http: Http;

  constructor(client: Http) {
    this.http = client;
  }

  #url(path: string) {
    return `${this.http.baseUrl}/api/v1${path}`;
  }

  #auth(): Record<string, string> {
    return this.http.token ? { authorization: `Bearer ${this.http.token}` } : {};
  }

  /** `PUT …/files/content` with `data` as the raw body (fetch sends its Content-Length). */
  async upload(conversationId: string, path: string, data: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await fetch(this.#url(`/conversations/${conversationId}/files/content?path=${encodeURIComponent(path)}`), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...this.#auth(), ...headers },
      body: typeof data === 'string' ? data : Buffer.from(data),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, text };
  }

  /** A GET answering bytes (a download, an archive); `body` is the JSON error when it failed. */
  async fetchBytes(path: string, headers: Record<string, string> = this.#auth()): Promise<Reply & { bytes: Buffer }> {
    const response = await fetch(path.startsWith('http') ? path : this.#url(path), { headers });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let body: unknown;
    try {
      body = response.ok ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body, headers: response.headers, text, bytes };
  }

  download(conversationId: string, path: string) {
    return this.fetchBytes(`/conversations/${conversationId}/files/content?path=${encodeURIComponent(path)}`);
  }

  list(conversationId: string, query: Record<string, string> = {}) {
    return this.http.get(`/api/v1/conversations/${conversationId}/files?${new URLSearchParams(query)}`);
  }

  /**
   * An upload over a raw socket: `headers` as given (no Content-Length unless set), `parts` written one by one; with
   * `abortAfter`, the connection is destroyed after that many parts. Answers the reply, or `null` when aborted.
   */
  rawUpload(conversationId: string, path: string, options: { headers: Record<string, string>; parts: Buffer[]; abortAfter?: number }): Promise<Reply | null> {
    return new Promise((resolve, reject) => {
      const request = http.request(this.#url(`/conversations/${conversationId}/files/content?path=${encodeURIComponent(path)}`), {
        method: 'PUT',
        headers: { ...this.#auth(), ...options.headers },
      });
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            body: text ? JSON.parse(text) : undefined,
            headers: new Headers(response.headers as Record<string, string>),
            text,
          }),
        );
      });
      request.on('error', (error) => (options.abortAfter === undefined ? reject(error) : resolve(null)));
      options.parts.forEach((part, index) => {
        if (options.abortAfter !== undefined && index >= options.abortAfter) return;
        request.write(part);
      });
      if (options.abortAfter === undefined) request.end();
      else
        setTimeout(() => {
          request.destroy();
          resolve(null);
        }, 200);
    });
  }
}

/** The entries of a `.tar.gz`: name → content (directories: `null`; symlinks: `-> target`). */
export async function tarGzEntries(bytes: Buffer): Promise<Map<string, string | null>> {
  const parser = extract();
  Readable.from([bytes]).pipe(createGunzip()).pipe(parser);
  const entries = new Map<string, string | null>();
  for await (const entry of parser) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { name, type, linkname } = entry.header;
    entries.set(name.replace(/\/$/, ''), type === 'directory' ? null : type === 'symlink' ? `-> ${linkname}` : Buffer.concat(chunks).toString('utf8'));
  }
  return entries;
}

/** A conversation's columns, read straight from the database. */
export async function conversationRow(
  databaseUrl: string,
  conversationId: string,
): Promise<{ sandbox_id: string | null; workspace: string | null; baseline_at: Date | null }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select sandbox_id, workspace, baseline_at from conversations where id = $1', [conversationId]);
    return rows[0];
  } finally {
    await client.end();
  }
}

/**
 * Paths the file system itself refuses, on a workspace holding the file `hello.py` and the links `loop1 -> loop2`,
 * `loop2 -> loop1`: each answers a 4xx with a stable code naming the field, never a 500, on every route it reaches.
 */
export async function expectFileSystemRefusalsAre4xx(ws: WorkspaceClient, id: string): Promise<void> {
  const base = `/api/v1/conversations/${id}`;
  const expect4xx = (reply: Reply, what: string, code: string | RegExp, field: string) => {
    if (reply.status < 400 || reply.status >= 500) throw new Error(`${what}: expected a 4xx, got ${reply.status} ${JSON.stringify(reply.body)}`);
    const error = reply.body?.error;
    if (!(typeof code === 'string' ? error?.code === code : code.test(error?.code ?? ''))) throw new Error(`${what}: code ${error?.code}`);
    if (reply.status !== 404 && !error.details?.some((detail: { path: string }) => detail.path === field)) throw new Error(`${what}: no detail names ${field}`);
  };
  const throughFile = 'hello.py/x';
  expect4xx(await ws.download(id, throughFile), 'download through a file', 'not_found', 'path');
  expect4xx(await ws.list(id, { path: throughFile }), 'list through a file', /^(not_found|not_a_directory)$/, 'path');
  expect4xx(await ws.upload(id, throughFile, 'x'), 'upload through a file', 'not_a_directory', 'path');
  expect4xx(await ws.http.post(`${base}/files/mkdir`, { path: `${throughFile}/y` }), 'mkdir through a file', 'not_a_directory', 'path');
  expect4xx(await ws.http.post(`${base}/files/move`, { from: throughFile, to: 'moved' }), 'move from through a file', 'not_found', 'from');
  expect4xx(await ws.fetchBytes(`/conversations/${id}/archive?path=${throughFile}`), 'archive through a file', /^(not_found|not_a_directory)$/, 'path');
  const deleted = await ws.http.delete(`${base}/files?path=${throughFile}`);
  if (deleted.status !== 404 && deleted.status !== 204) throw new Error(`delete through a file: ${deleted.status}`);

  const long = 'n'.repeat(300);
  expect4xx(await ws.upload(id, long, 'x'), 'upload of a long name', 'invalid_path', 'path');
  expect4xx(await ws.download(id, long), 'download of a long name', 'invalid_path', 'path');
  expect4xx(await ws.list(id, { path: long }), 'list of a long name', 'invalid_path', 'path');
  expect4xx(await ws.http.post(`${base}/files/mkdir`, { path: long }), 'mkdir of a long name', 'invalid_path', 'path');
  expect4xx(await ws.http.delete(`${base}/files?path=${long}`), 'delete of a long name', 'invalid_path', 'path');

  expect4xx(await ws.download(id, 'loop1'), 'download of a link loop', 'invalid_path', 'path');
  expect4xx(await ws.list(id, { path: 'loop1' }), 'list of a link loop', 'invalid_path', 'path');
  expect4xx(await ws.upload(id, 'loop1/in', 'x'), 'upload into a link loop', 'invalid_path', 'path');
  // The listing shows the links as such, and deleting one removes the link.
  const names = (await ws.list(id)).body.data.map((entry: { name: string; type: string }) => `${entry.name}:${entry.type}`);
  if (!names.includes('loop1:symlink')) throw new Error(`listing: ${names.join(', ')}`);
  const removed = await ws.http.delete(`${base}/files?path=loop1`);
  if (removed.status !== 204) throw new Error(`delete of a link in a loop: ${removed.status} ${JSON.stringify(removed.body)}`);
}
