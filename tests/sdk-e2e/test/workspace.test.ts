import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { BadRequestError, ConflictError, MetisError, NotFoundError } from '@metisai/sdk';
import { CONVERSATION_EXPORT_FORMAT } from '@metisai/sdk/schemas';
import { Files, type TransferProgress } from '@metisai/sdk/files';
import { startStack, type Stack } from './support/harness.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { UPLOAD_LIMIT_BYTES: String(8 * 1024 * 1024) } });
});
afterAll(() => stack?.close());

const MISSING = '0192a000-0000-7000-8000-000000000000';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `size` bytes of a repeating pattern, as a Node stream of 64 KiB chunks. */
const nodeStream = (size: number) =>
  Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += 65536) yield Buffer.alloc(Math.min(65536, size - sent), sent % 251);
    })(),
  );

describe('client.serverInfo', () => {
  test('get() needs no credentials and tells the limits and the sandbox driver', async () => {
    const info = await stack.client().serverInfo.get();
    expect(info).toMatchObject({ registration_open: true, upload_limit_bytes: 8 * 1024 * 1024, sandbox_driver: 'local' });
    expect(info.sandbox_allowed_images).toEqual(expect.any(Array));
  });
});

describe('Files (@metisai/sdk/files)', () => {
  test('upload from bytes, a Blob, a Node stream and a web stream; list; download as a web stream, a Node stream and text', async () => {
    const { client } = await stack.user('files');
    const files = new Files(client);
    const { id } = await client.conversations.create();
    expect((await files.list(id)).data).toEqual([]);

    const first = await files.upload(id, 'bytes.txt', new TextEncoder().encode('from bytes\n'));
    expect(first).toMatchObject({ name: 'bytes.txt', path: 'bytes.txt', type: 'file', size: 11 });
    await files.upload(id, 'dir/blob.json', new Blob(['{"a":1}'], { type: 'application/json' }));
    const progress: TransferProgress[] = [];
    const big = 3 * 1024 * 1024 + 17;
    const streamed = await files.upload(id, 'dir/big.bin', nodeStream(big), { size: big, onProgress: (p) => progress.push(p) });
    expect(streamed.size).toBe(big);
    expect(progress.at(-1)).toEqual({ transferredBytes: big, totalBytes: big });
    expect(progress.length).toBeGreaterThan(10);
    const web = new Blob(['web stream\n']).stream();
    await files.upload(id, 'web.txt', web, { size: 11 });

    const names: string[] = [];
    for await (const entry of files.list(id, { path: 'dir', limit: 1 })) names.push(entry.name);
    expect(names).toEqual(['big.bin', 'blob.json']);

    const download = await files.download(id, 'dir/big.bin', { onProgress: (p) => progress.push(p) });
    expect(download).toMatchObject({ fileName: 'big.bin', contentType: 'application/octet-stream', size: big });
    const hash = createHash('sha256');
    await pipeline(download.nodeStream(), hash);
    const expected = createHash('sha256');
    await pipeline(nodeStream(big), expected);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    expect(progress.at(-1)).toEqual({ transferredBytes: big, totalBytes: big });

    expect(await (await files.download(id, 'web.txt')).text()).toBe('web stream\n');
    const json = await files.download(id, 'dir/blob.json');
    expect(json.contentType).toBe('application/json; charset=utf-8');
    const reader = json.body.getReader();
    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toBe('{"a":1}');
    expect(sha256(await (await files.download(id, 'bytes.txt')).bytes())).toBe(sha256(new TextEncoder().encode('from bytes\n')));
  });

  test('move, mkdir, remove and the archive; errors are typed with the server codes', async () => {
    const { client } = await stack.user('files-ops');
    const files = new Files(client);
    const { id } = await client.conversations.create();
    await files.upload(id, '日本/報告.md', '# 報告\n');
    expect(await files.mkdir(id, 'out')).toMatchObject({ type: 'directory', path: 'out' });
    expect(await files.move(id, { from: '日本/報告.md', to: 'out/report.md' })).toMatchObject({ path: 'out/report.md' });
    const cjk = await files.upload(id, 'out/名前.txt', 'x');
    expect((await files.download(id, cjk.path)).fileName).toBe('名前.txt');

    const archive = await files.archive(id);
    expect(archive).toMatchObject({ fileName: 'workspace.tar.gz', contentType: 'application/gzip', size: undefined });
    const chunks: Buffer[] = [];
    await pipeline(archive.nodeStream(), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    expect(Buffer.concat(chunks).toString('latin1')).toContain('workspace/out/report.md');

    await files.remove(id, 'out/report.md');
    const missing = await files.download(id, 'out/report.md').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    const outside = await files.download(id, '/etc/passwd').catch((error: unknown) => error);
    expect(outside).toBeInstanceOf(BadRequestError);
    expect(outside).toMatchObject({ status: 400, code: 'invalid_path', details: [{ path: 'path' }] });
    const exists = await files.move(id, { from: 'out/名前.txt', to: 'out' }).catch((error: unknown) => error);
    expect(exists).toBeInstanceOf(ConflictError);
    expect((exists as MetisError).code).toBe('file_exists');
    const tooLarge = await files.upload(id, 'huge.bin', new Uint8Array(8 * 1024 * 1024 + 1)).catch((error: unknown) => error);
    expect(tooLarge).toBeInstanceOf(BadRequestError);
    expect(tooLarge).toMatchObject({ status: 413, code: 'payload_too_large', body: { error: { limit_bytes: 8 * 1024 * 1024 } } });
    await expect(files.upload(id, 'x', nodeStream(10))).rejects.toBeInstanceOf(TypeError);
    await expect(files.list(MISSING)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('downloadUrl gives a link that works without credentials', async () => {
    const { client } = await stack.user('links');
    const files = new Files(client);
    const { id } = await client.conversations.create();
    await files.upload(id, 'page.html', '<h1>hi</h1>');
    const link = await files.downloadUrl(id, { path: 'page.html' });
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(await response.text()).toBe('<h1>hi</h1>');
    const archive = await files.downloadUrl(id, { archive: true });
    expect((await fetch(archive.url)).headers.get('content-type')).toBe('application/gzip');
  });
});

describe('changes, export and import', () => {
  test('changes lists what the agent did; an export imports as a new conversation', async () => {
    const { client } = await stack.user('transfer');
    stack.llm.setScript([
      turns.toolCall('execute_bash', { command: 'printf "one\\ntwo\\n" > notes.txt' }),
      turns.toolCall('finish', { message: 'wrote notes' }),
    ]);
    const { id } = await client.conversations.create({ title: 'notes' });
    const end = await client.conversations.run(id, 'write notes').finalState();
    expect(end).toMatchObject({ state: 'finished' });

    const changes = await client.conversations.changes(id);
    expect(changes.baseline?.kind).toBe('snapshot');
    expect(changes.data).toEqual([
      { path: 'notes.txt', status: 'added', binary: false, diff: '--- /dev/null\n+++ b/notes.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n', truncated: false },
    ]);
    const events = await client.conversations.events.list(id, { limit: 100 });
    const bash = events.data.find((event) => event.type === 'observation');
    expect(bash?.type === 'observation' && bash.changed_files).toEqual([{ path: 'notes.txt', status: 'added' }]);

    const document = await client.conversations.export(id);
    expect(document).toMatchObject({ format: CONVERSATION_EXPORT_FORMAT, conversation: { id, title: 'notes' } });
    expect(document.events.length).toBe(events.data.length);
    const imported = await client.conversations.import(document);
    expect(imported).toMatchObject({ title: 'notes', state: 'finished', last_seq: document.events.length });
    expect(imported.id).not.toBe(id);

    const bad = await client.conversations.import({ ...document, format: 'nope' } as never).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as MetisError).details?.map((detail) => detail.path)).toContain('format');
  });
});

describe('client.conversations.fork', () => {
  test('forks at a step with the files of that step; beyond last_seq and pruned steps are typed errors', async () => {
    const { client } = await stack.user('fork');
    const files = new Files(client);
    stack.llm.setScript([
      turns.toolCall('execute_bash', { command: 'printf v1 > app.txt' }),
      turns.toolCall('execute_bash', { command: 'printf v2 > app.txt' }),
      turns.toolCall('finish', { message: 'done' }),
    ]);
    const { id } = await client.conversations.create({ title: 'to fork' });
    expect(await client.conversations.run(id, 'write').finalState()).toMatchObject({ state: 'finished' });
    const observations = (await client.conversations.events.list(id, { limit: 100 })).data.filter((event) => event.type === 'observation');
    const first = observations[0]!.seq;

    const forked = await client.conversations.fork(id, { at_seq: first });
    expect(forked).toMatchObject({ title: 'to fork', state: 'idle', last_seq: first, forked_from: { conversation_id: id, seq: first } });
    expect(await (await files.download(forked.id, 'app.txt')).text()).toBe('v1');
    const latest = await client.conversations.fork(id);
    expect(await (await files.download(latest.id, 'app.txt')).text()).toBe('v2');
    expect((await client.conversations.get(id)).forked_from).toBeNull();

    const beyond = await client.conversations.fork(id, { at_seq: 10_000 }).catch((error: unknown) => error);
    expect(beyond).toBeInstanceOf(BadRequestError);
    expect((beyond as MetisError).details?.map((detail) => detail.path)).toEqual(['at_seq']);

    await client.conversations.pruneSnapshots(id, { before_seq: observations[1]!.seq });
    const pruned = await client.conversations.fork(id, { at_seq: first }).catch((error: unknown) => error);
    expect(pruned).toBeInstanceOf(ConflictError);
    expect((pruned as MetisError).code).toBe('snapshot_unavailable');
  });
});
