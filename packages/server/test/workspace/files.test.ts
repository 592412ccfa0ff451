import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { Http, registerUser } from '../support/http.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { conversationRow, expectFileSystemRefusalsAre4xx, tarGzEntries, WorkspaceClient } from './workspace-client.ts';

/** The files API over real HTTP on a whole server with the local driver (Docker: workspace-docker.test.ts). */
let rt: Runtime;
let ws: WorkspaceClient;
beforeAll(async () => {
  rt = await startRuntime({ env: { UPLOAD_LIMIT_BYTES: String(4 * 1024 * 1024) } });
  ws = new WorkspaceClient(rt.http);
});
afterAll(() => rt?.close());

const MISSING = '0190a000-0000-7000-8000-000000000000';

const newConversation = async () => {
  const reply = await rt.http.post('/api/v1/conversations', {});
  expect(reply.status).toBe(201);
  return reply.body.id as string;
};

/** The host directory of a local conversation's workspace (to plant what the API cannot make, such as symlinks). */
const hostWorkspace = async (conversationId: string) => {
  const { sandbox_id } = await conversationRow(rt.server.databaseUrl, conversationId);
  return path.join(rt.dataDir, 'sandboxes', sandbox_id!, 'workspace');
};

describe('before the conversation has a sandbox', () => {
  test('the listing is empty, the archive an empty .tar.gz, no changes; a download is 404; nothing gets created', async () => {
    const id = await newConversation();
    expect((await ws.list(id)).body).toEqual({ data: [], has_more: false, next_after: null });
    const archive = await ws.fetchBytes(`/conversations/${id}/archive`);
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-type')).toBe('application/gzip');
    expect((await tarGzEntries(archive.bytes)).size).toBe(0);
    expect((await rt.http.get(`/api/v1/conversations/${id}/changes`)).body).toEqual({ baseline: null, data: [], truncated: false });
    expect((await ws.download(id, 'a.txt')).status).toBe(404);
    expect(await conversationRow(rt.server.databaseUrl, id)).toMatchObject({ sandbox_id: null, baseline_at: null });
  });
});

describe('upload, list, download', () => {
  test('an upload before the first message creates the sandbox (201), an overwrite is 200, parents are created', async () => {
    const id = await newConversation();
    const created = await ws.upload(id, 'docs/deep/notes.txt', 'first\n');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'notes.txt', path: 'docs/deep/notes.txt', type: 'file', size: 6 });
    expect(Date.parse(created.body.mtime)).toBeGreaterThan(Date.now() - 60_000);
    const row = await conversationRow(rt.server.databaseUrl, id);
    expect(row.sandbox_id).toMatch(/^local-/);
    expect(row.baseline_at).not.toBeNull();

    const replaced = await ws.upload(id, '/workspace/docs/deep/notes.txt', 'second version\n');
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ path: 'docs/deep/notes.txt', size: 15 });
    const down = await ws.download(id, 'docs/deep/notes.txt');
    expect(down.status).toBe(200);
    expect(down.text).toBe('second version\n');
    expect(down.headers.get('content-length')).toBe('15');
  });

  test('the agent then works on the uploaded files, and the run sees them', async () => {
    const id = await newConversation();
    expect((await ws.upload(id, 'input.csv', 'a,b\n1,2\n')).status).toBe(201);
    rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'wc -l < input.csv' }), () => turns.toolCall('finish', { message: 'done' })]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'count the lines' });
    expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
    const observation = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!;
    expect(observation.content).toMatch(/^2\n/);
  });

  test('listing: names, types, sizes and times, hidden entries, sorted by name, paged by after; symlinks as such', async () => {
    const id = await newConversation();
    for (const name of ['b.txt', 'a.txt', '.env', 'c/inner.txt']) expect((await ws.upload(id, `dir/${name}`, name)).status).toBe(201);
    await symlink('a.txt', path.join(await hostWorkspace(id), 'dir', 'link'));
    const all = await ws.list(id, { path: 'dir' });
    expect(all.status).toBe(200);
    expect(all.body.data.map((entry: any) => [entry.name, entry.type, entry.path])).toEqual([
      ['.env', 'file', 'dir/.env'],
      ['a.txt', 'file', 'dir/a.txt'],
      ['b.txt', 'file', 'dir/b.txt'],
      ['c', 'directory', 'dir/c'],
      ['link', 'symlink', 'dir/link'],
    ]);
    expect(all.body.data[1]).toMatchObject({ size: 5, mtime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const first = await ws.list(id, { path: '/workspace/dir', limit: '2' });
    expect(first.body).toMatchObject({ has_more: true, next_after: 'a.txt' });
    expect(first.body.data.map((entry: any) => entry.name)).toEqual(['.env', 'a.txt']);
    const next = await ws.list(id, { path: 'dir', limit: '2', after: 'a.txt' });
    expect(next.body.data.map((entry: any) => entry.name)).toEqual(['b.txt', 'c']);
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['dir']);
    expect((await ws.list(id, { path: 'nothing' })).status).toBe(404);
    const notDir = await ws.list(id, { path: 'dir/a.txt' });
    expect(notDir.status).toBe(400);
    expect(notDir.body.error).toMatchObject({ code: 'not_a_directory', details: [{ path: 'path' }] });
  });

  test('downloads: CJK names in filename*, the type from the extension, nosniff and a sandbox CSP (an HTML file runs nothing here)', async () => {
    const id = await newConversation();
    const html = '<!doctype html><script>fetch("/api/v1/auth/profile")</script><h1>hi</h1>\n';
    expect((await ws.upload(id, 'site/報告.html', html)).status).toBe(201);
    const reply = await ws.download(id, 'site/報告.html');
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(html);
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="??.html"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.html`);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('content-security-policy')).toBe('sandbox');
    expect((await ws.upload(id, 'data.bin', new Uint8Array([0, 255, 1]))).status).toBe(201);
    const binary = await ws.download(id, 'data.bin');
    expect([...binary.bytes]).toEqual([0, 255, 1]);
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
  });

  test('a directory cannot be downloaded as a file nor uploaded onto: 400 naming path', async () => {
    const id = await newConversation();
    await ws.upload(id, 'dir/x.txt', 'x');
    const down = await ws.download(id, 'dir');
    expect(down.status).toBe(400);
    expect(down.body.error).toMatchObject({ code: 'is_a_directory', details: [{ path: 'path' }] });
    const up = await ws.upload(id, 'dir', 'y');
    expect(up.status).toBe(400);
    expect(up.body.error).toMatchObject({ code: 'is_a_directory', details: [{ path: 'path' }] });
    const under = await ws.upload(id, 'dir/x.txt/inner', 'y');
    expect(under.status).toBe(400);
    expect(under.body.error.code).toBe('not_a_directory');
    expect((await ws.upload(id, '', 'y')).status).toBe(400);
  });

  test('Content-Length is required (411); over UPLOAD_LIMIT_BYTES is 413 with limit_bytes', async () => {
    const id = await newConversation();
    const chunked = await ws.rawUpload(id, 'a.txt', { headers: { 'transfer-encoding': 'chunked' }, parts: [Buffer.from('hello')] });
    expect(chunked!.status).toBe(411);
    expect(chunked!.body.error).toMatchObject({ code: 'length_required', details: [{ path: 'Content-Length' }] });
    const big = await ws.rawUpload(id, 'big.bin', { headers: { 'content-length': String(4 * 1024 * 1024 + 1) }, parts: [] }).catch(() => null);
    expect(big?.status).toBe(413);
    expect(big?.body.error).toMatchObject({ code: 'payload_too_large', limit_bytes: 4 * 1024 * 1024 });
  });

  test('an upload that breaks off leaves nothing behind, and an overwritten file keeps its old content', async () => {
    const id = await newConversation();
    await ws.upload(id, 'kept.txt', 'old');
    const part = Buffer.alloc(64 * 1024, 97);
    for (const target of ['kept.txt', 'fresh.txt']) {
      const reply = await ws.rawUpload(id, target, { headers: { 'content-length': String(1024 * 1024) }, parts: [part, part], abortAfter: 2 });
      expect(reply).toBeNull();
    }
    // The server notices the broken request and removes its temporary file.
    const host = await hostWorkspace(id);
    await expect.poll(async () => (await readdir(host)).sort(), { timeout: 10_000 }).toEqual(['kept.txt']);
    expect((await ws.download(id, 'kept.txt')).text).toBe('old');
  });
});

describe('paths', () => {
  test('absolute paths outside /workspace, .. escapes and symlinks that lead out are 400 invalid_path naming the field', async () => {
    const id = await newConversation();
    await ws.upload(id, 'inside/ok.txt', 'ok');
    const host = await hostWorkspace(id);
    await symlink('/etc', path.join(host, 'etc-link'));
    await symlink('../..', path.join(host, 'up-link'));
    await symlink('inside', path.join(host, 'in-link'));
    const bad = ['/etc/passwd', '../secret', 'inside/../../x', 'etc-link/passwd', 'up-link', 'up-link/sandbox.json'];
    for (const p of bad) {
      const down = await ws.download(id, p);
      expect(down.status, p).toBe(400);
      expect(down.body.error, p).toMatchObject({ code: 'invalid_path', details: [{ path: 'path' }] });
      // The host layout is never echoed.
      expect(down.text, p).not.toContain(rt.dataDir);
      expect((await ws.upload(id, p, 'x')).status, p).toBe(400);
      expect((await ws.list(id, { path: p })).status, p).toBe(400);
    }
    const move = await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'inside/ok.txt', to: 'etc-link/x' });
    expect(move.status).toBe(400);
    expect(move.body.error).toMatchObject({ code: 'invalid_path', details: [{ path: 'to' }] });
    // A link that stays inside is followed; deleting a link removes the link, not its target.
    expect((await ws.download(id, 'in-link/ok.txt')).text).toBe('ok');
    expect((await rt.http.delete(`/api/v1/conversations/${id}/files?path=etc-link`)).status).toBe(204);
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['in-link', 'inside', 'up-link']);
  });

  test('paths the file system refuses (through a file, names over 255 bytes, a loop of links) are 4xx naming the field, never 500', async () => {
    const id = await newConversation();
    await ws.upload(id, 'hello.py', 'print(1)\n');
    const host = await hostWorkspace(id);
    await symlink('loop2', path.join(host, 'loop1'));
    await symlink('loop1', path.join(host, 'loop2'));
    await expectFileSystemRefusalsAre4xx(ws, id);
  });
});

describe('delete, move, mkdir, archive', () => {
  test('each works on files and directories and answers its errors', async () => {
    const id = await newConversation();
    await ws.upload(id, 'src/a.py', 'print(1)\n');
    await ws.upload(id, 'src/lib/b.py', 'print(2)\n');
    const mkdir = await rt.http.post(`/api/v1/conversations/${id}/files/mkdir`, { path: 'build/out' });
    expect(mkdir.status).toBe(201);
    expect(mkdir.body).toMatchObject({ path: 'build/out', type: 'directory' });
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/mkdir`, { path: 'build/out' })).status).toBe(200);
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/mkdir`, { path: 'src/a.py' })).body.error.code).toBe('not_a_directory');

    const moved = await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'src/lib', to: 'pkg/lib' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ path: 'pkg/lib', type: 'directory' });
    const exists = await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'src/a.py', to: 'pkg/lib/b.py' });
    expect(exists.status).toBe(409);
    expect(exists.body.error).toMatchObject({ code: 'file_exists', details: [{ path: 'to' }] });
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'nope', to: 'x' })).status).toBe(404);
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'pkg', to: 'pkg/inner' })).body.error.code).toBe('invalid_path');
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/move`, { from: 'src/a.py' })).body.error.details).toEqual([
      expect.objectContaining({ path: 'to' }),
    ]);

    const archive = await ws.fetchBytes(`/conversations/${id}/archive`);
    expect(archive.headers.get('content-disposition')).toBe('attachment; filename="workspace.tar.gz"');
    expect(archive.headers.get('content-security-policy')).toBe('sandbox');
    const entries = await tarGzEntries(archive.bytes);
    expect([...entries.keys()].sort()).toEqual([
      'workspace',
      'workspace/build',
      'workspace/build/out',
      'workspace/pkg',
      'workspace/pkg/lib',
      'workspace/pkg/lib/b.py',
      'workspace/src',
      'workspace/src/a.py',
    ]);
    expect(entries.get('workspace/pkg/lib/b.py')).toBe('print(2)\n');
    const sub = await tarGzEntries((await ws.fetchBytes(`/conversations/${id}/archive?path=pkg`)).bytes);
    expect([...sub.keys()].sort()).toEqual(['pkg', 'pkg/lib', 'pkg/lib/b.py']);

    expect((await rt.http.delete(`/api/v1/conversations/${id}/files?path=pkg`)).status).toBe(204);
    expect((await rt.http.delete(`/api/v1/conversations/${id}/files?path=pkg`)).status).toBe(404);
    expect((await rt.http.delete(`/api/v1/conversations/${id}/files?path=/workspace`)).body.error.code).toBe('invalid_path');
    expect((await rt.http.delete(`/api/v1/conversations/${id}/files`)).body.error.details).toEqual([expect.objectContaining({ path: 'path' })]);
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['build', 'src']);
  });
});

describe('ownership', () => {
  test("another user's conversation and unknown ids are 404 on every route, with nothing created", async () => {
    const id = await newConversation();
    await ws.upload(id, 'mine.txt', 'mine');
    const other = await registerUser(new Http(rt.server.url), 'intruder');
    const theirs = new WorkspaceClient(other.http);
    for (const target of [id, MISSING]) {
      expect((await theirs.list(target)).status).toBe(404);
      expect((await theirs.download(target, 'mine.txt')).status).toBe(404);
      expect((await theirs.upload(target, 'x.txt', 'x')).status).toBe(404);
      expect((await theirs.fetchBytes(`/conversations/${target}/archive`)).status).toBe(404);
      expect((await other.http.get(`/api/v1/conversations/${target}/changes`)).status).toBe(404);
      expect((await other.http.delete(`/api/v1/conversations/${target}/files?path=mine.txt`)).status).toBe(404);
      expect((await other.http.post(`/api/v1/conversations/${target}/files/move`, { from: 'mine.txt', to: 'y' })).status).toBe(404);
      expect((await other.http.post(`/api/v1/conversations/${target}/files/mkdir`, { path: 'd' })).status).toBe(404);
      expect((await other.http.post(`/api/v1/conversations/${target}/files/download-url`, { path: 'mine.txt' })).status).toBe(404);
      expect((await other.http.get(`/api/v1/conversations/${target}/export`)).status).toBe(404);
    }
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['mine.txt']);
    expect((await new WorkspaceClient(new Http(rt.server.url)).list(id)).status).toBe(401);
  });
});

describe('read-only conversations', () => {
  test("once the conversation's agent is deleted its files can be read but not changed: 409 agent_deleted", async () => {
    const agent = (await rt.http.post('/api/v1/agents', { name: 'to delete' })).body;
    const id = (await rt.http.post('/api/v1/conversations', { agent_id: agent.id })).body.id as string;
    expect((await ws.upload(id, 'a.txt', 'kept')).status).toBe(201);
    expect((await rt.http.delete(`/api/v1/agents/${agent.id}`)).status).toBe(204);
    const base = `/api/v1/conversations/${id}/files`;
    for (const reply of [
      await ws.upload(id, 'b.txt', 'new'),
      await rt.http.post(`${base}/mkdir`, { path: 'dir' }),
      await rt.http.post(`${base}/move`, { from: 'a.txt', to: 'c.txt' }),
      await rt.http.delete(`${base}?path=a.txt`),
    ]) {
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('agent_deleted');
    }
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['a.txt']);
    expect((await ws.download(id, 'a.txt')).text).toBe('kept');
  });
});

describe('signed download URLs', () => {
  test('work without Authorization for a file and an archive; a forged, expired or foreign link does not', async () => {
    const id = await newConversation();
    await ws.upload(id, 'out/result.json', '{"ok":true}\n');
    const link = await rt.http.post(`/api/v1/conversations/${id}/files/download-url`, { path: 'out/result.json' });
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(new RegExp(`^${rt.server.url}/api/v1/downloads\\?token=`));
    const ttl = Date.parse(link.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(200_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    const file = await ws.fetchBytes(link.body.url, {});
    expect(file.status).toBe(200);
    expect(file.text).toBe('{"ok":true}\n');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="result.json"');
    expect(file.headers.get('content-security-policy')).toBe('sandbox');

    const archive = await rt.http.post(`/api/v1/conversations/${id}/files/download-url`, { archive: true });
    expect([...(await tarGzEntries((await ws.fetchBytes(archive.body.url, {})).bytes)).keys()]).toContain('workspace/out/result.json');

    const [base, token] = link.body.url.split('?token=') as [string, string];
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), p: 'other.txt' })).toString('base64url');
    for (const bad of [`${base}?token=${forged}.${signature}`, `${base}?token=${payload}.AAAA`, `${base}?token=x`]) {
      const reply = await ws.fetchBytes(bad, {});
      expect(reply.status, bad).toBe(401);
      expect(reply.body.error.code).toBe('download_url_invalid');
    }
    expect((await rt.http.post(`/api/v1/conversations/${id}/files/download-url`, {})).body.error.details).toEqual([expect.objectContaining({ path: 'path' })]);
    // Bound to the user's conversation: once it is gone, so is the link.
    expect((await rt.http.delete(`/api/v1/conversations/${id}`)).status).toBe(204);
    expect((await ws.fetchBytes(link.body.url, {})).status).toBe(404);
  });
});

describe('during a run', () => {
  test('uploads, listings and downloads work while the agent is working', async () => {
    const id = await newConversation();
    rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'echo started > run.txt' }), () => turns.hang()]));
    const before = rt.llm.requests.length;
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'work' });
    // The scripted LLM counts every request since it started: wait for this run's.
    await rt.llm.waitForRequests(before + 2);
    expect((await rt.http.get(`/api/v1/conversations/${id}`)).body.state).toBe('running');
    expect((await ws.upload(id, 'during.txt', 'while running')).status).toBe(201);
    expect((await ws.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['during.txt', 'run.txt']);
    expect((await ws.download(id, 'run.txt')).text).toBe('started\n');
    expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    await waitForState(rt.http, id, ['stopped']);
  });

  test('an upload before the first action of a run shares the sandbox the run then uses', async () => {
    const id = await newConversation();
    rt.llm.setScript(scripted([() => turns.hang()]));
    const before = rt.llm.requests.length;
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'think first' });
    // The scripted LLM counts every request since it started: wait for this run's.
    await rt.llm.waitForRequests(before + 1);
    expect((await ws.upload(id, 'early.txt', 'early')).status).toBe(201);
    const { sandbox_id } = await conversationRow(rt.server.databaseUrl, id);
    await rt.http.post(`/api/v1/conversations/${id}/stop`);
    await waitForState(rt.http, id, ['stopped']);
    rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'cat early.txt' }), () => turns.toolCall('finish', { message: 'ok' })]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'read it' });
    await waitForState(rt.http, id, ['finished', 'error']);
    expect((await eventsOf(rt.http, id)).filter((event) => event.type === 'observation').at(-2)!.content).toMatch(/^early\n/);
    expect((await conversationRow(rt.server.databaseUrl, id)).sandbox_id).toBe(sandbox_id);
  });
});

describe('attachments', () => {
  test("a message's attachments point the agent to uploaded files: stored normalised, shown to the model; a missing one is 400 naming it", async () => {
    const id = await newConversation();
    const refusedEarly = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'read', attachments: [{ path: 'report.csv' }] });
    expect(refusedEarly.status).toBe(400);
    expect(refusedEarly.body.error.details).toEqual([expect.objectContaining({ path: 'attachments.0.path' })]);
    expect((await ws.upload(id, 'report.csv', 'a,b\n')).status).toBe(201);
    const refused = await rt.http.post(`/api/v1/conversations/${id}/messages`, {
      content: 'read',
      attachments: [{ path: 'report.csv' }, { path: 'nope.csv' }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].path).toBe('attachments.1.path');
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'read', attachments: [{ path: '' }] })).status).toBe(400);

    rt.llm.setScript(scripted([() => turns.text('seen')]));
    const before = rt.llm.requests.length;
    const posted = await rt.http.post(`/api/v1/conversations/${id}/messages`, {
      content: 'read',
      attachments: [{ path: '/workspace/report.csv' }, { path: 'report.csv' }],
    });
    expect(posted.status).toBe(202);
    expect(posted.body.attachments).toEqual([{ path: 'report.csv', size: 4, type: 'text/csv' }]);
    await waitForState(rt.http, id, ['idle', 'finished']);
    const messages = rt.llm.requests[before]!.body.messages as { role: string; content: string }[];
    expect(messages.filter((message) => message.role === 'user').map((message) => message.content)).toEqual([
      expect.stringMatching(/^read\n\n\[attached: \/.+\/report\.csv, 4 bytes, text\/csv\]$/),
    ]);
    const stored = (await eventsOf(rt.http, id)).filter((event) => event.type === 'message' && event.role === 'user');
    expect(stored).toEqual([expect.objectContaining({ content: 'read', attachments: [{ path: 'report.csv', size: 4, type: 'text/csv' }] })]);
  });
});

describe('changes', () => {
  test('uploads and agent edits show as added, modified and deleted with diffs; .git and ignored files are left out', async () => {
    const id = await newConversation();
    await ws.upload(id, 'app.py', 'print("hello")\n');
    await ws.upload(id, '.gitignore', 'node_modules/\n');
    const host = await hostWorkspace(id);
    await mkdir(path.join(host, 'node_modules', 'x'), { recursive: true });
    await writeFile(path.join(host, 'node_modules', 'x', 'i.js'), 'ignored');
    await mkdir(path.join(host, '.git'));
    await writeFile(path.join(host, '.git', 'HEAD'), 'ref: refs/heads/main');
    rt.llm.setScript(
      scripted([
        (dir) => turns.toolCall('str_replace_editor', { command: 'str_replace', path: `${dir}/app.py`, old_str: 'hello', new_str: 'world' }),
        () => turns.toolCall('execute_bash', { command: 'printf "\\0\\1" > data.bin' }),
        () => turns.toolCall('finish', { message: 'done' }),
      ]),
    );
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'edit' });
    expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
    const changes = await rt.http.get(`/api/v1/conversations/${id}/changes`);
    expect(changes.status).toBe(200);
    expect(changes.body.baseline).toMatchObject({ kind: 'snapshot', created_at: expect.any(String) });
    // The baseline is the empty workspace the sandbox started with: uploads count as added.
    expect(changes.body.data).toEqual([
      { path: '.gitignore', status: 'added', binary: false, diff: '--- /dev/null\n+++ b/.gitignore\n@@ -0,0 +1,1 @@\n+node_modules/\n', truncated: false },
      { path: 'app.py', status: 'added', binary: false, diff: '--- /dev/null\n+++ b/app.py\n@@ -0,0 +1,1 @@\n+print("world")\n', truncated: false },
      { path: 'data.bin', status: 'added', binary: true, diff: null, truncated: false },
    ]);
    expect(changes.body.truncated).toBe(false);
  });
});
