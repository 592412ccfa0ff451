import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
// The sandbox package's Docker policy (no engine → skip; CI set and no engine → failure) and its tar helper.
import { hasDocker, STOCK_IMAGE } from '../../../sandbox/test/helpers/docker-availability.ts';
import { buildTar } from '../../../sandbox/src/files/tar-archive.ts';
import { runningAgent } from '../e2e/e2e-helpers.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { conversationRow, expectFileSystemRefusalsAre4xx, WorkspaceClient } from './workspace-client.ts';

const docker = new Docker();

/** Runs `script` in a container, as root by default (to look at ownership from outside the sandbox user's view). */
async function inContainer(id: string, script: string, user = '0:0'): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: ['bash', '-c', script], AttachStdout: true, AttachStderr: true, User: user });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise((resolve) => stream.on('end', resolve));
  return Buffer.concat(chunks).toString('utf8').trim();
}

describe.skipIf(!hasDocker)('workspaces on the Docker driver', () => {
  let rt: Runtime;
  let ws: WorkspaceClient;
  const images: string[] = [];
  beforeAll(async () => {
    // The stock image by default, and the images this file builds for agents that name one.
    rt = await startRuntime({ driver: 'docker', env: { SANDBOX_IMAGE: STOCK_IMAGE, SANDBOX_ALLOWED_IMAGES: `${STOCK_IMAGE},metisai-test-seeded:*` } });
    ws = new WorkspaceClient(rt.http);
  });
  afterAll(async () => {
    await rt?.close();
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  const newConversation = async (body: Record<string, unknown> = {}) => (await rt.http.post('/api/v1/conversations', body)).body.id as string;

  test('paths the file system refuses (through a file, names over 255 bytes, a loop of links) are 4xx naming the field, never 500', async () => {
    const id = await newConversation();
    await ws.upload(id, 'hello.py', 'print(1)\n');
    const { sandbox_id } = await conversationRow(rt.server.databaseUrl, id);
    await inContainer(sandbox_id!, 'cd /workspace && ln -s loop2 loop1 && ln -s loop1 loop2', '1000:1000');
    await expectFileSystemRefusalsAre4xx(ws, id);
  });

  test("an upload before the first message creates the sandbox on the conversation's labelled volume; files belong to uid 1000", async () => {
    const id = await newConversation();
    expect((await ws.upload(id, 'in/data.txt', 'uploaded\n')).status).toBe(201);
    const { sandbox_id, workspace } = await conversationRow(rt.server.databaseUrl, id);
    expect(workspace).toBe(id);
    const volume = await docker.getVolume(`metisai-ws-${id}`).inspect();
    expect(volume.Labels).toMatchObject({ 'metisai.managed': 'true', 'metisai.conversation': id, 'metisai.workspace': id });
    expect(volume.Labels['metisai.owner']).toMatch(/^metisai:/);
    const mounts = (await docker.getContainer(sandbox_id!).inspect()).Mounts;
    expect(mounts).toEqual([expect.objectContaining({ Type: 'volume', Name: `metisai-ws-${id}`, Destination: '/workspace' })]);
    expect(await inContainer(sandbox_id!, 'stat -c "%u:%g %a" /workspace/in /workspace/in/data.txt')).toBe('1000:1000 755\n1000:1000 644');
    const mkdir = await rt.http.post(`/api/v1/conversations/${id}/files/mkdir`, { path: 'made/here' });
    expect(mkdir.status).toBe(201);
    expect(await inContainer(sandbox_id!, 'stat -c "%u" /workspace/made/here')).toBe('1000');
  });

  test('a symlink the agent made that leads out of /workspace is refused', async () => {
    const id = await newConversation();
    await ws.upload(id, 'a.txt', 'a');
    const { sandbox_id } = await conversationRow(rt.server.databaseUrl, id);
    await inContainer(sandbox_id!, 'ln -s /etc /workspace/etc && ln -s a.txt /workspace/ok', '1000:1000');
    const out = await ws.download(id, 'etc/passwd');
    expect(out.status).toBe(400);
    expect(out.body.error.code).toBe('invalid_path');
    expect((await ws.download(id, 'ok')).text).toBe('a');
    expect((await ws.list(id)).body.data.map((entry: any) => [entry.name, entry.type])).toEqual([
      ['a.txt', 'file'],
      ['etc', 'symlink'],
      ['ok', 'symlink'],
    ]);
  });

  test("changes compare with the image's /workspace: modified and deleted files get their diffs", async () => {
    const tag = `metisai-test-seeded:${randomUUID().slice(0, 8)}`;
    const seed = await docker.createContainer({ Image: STOCK_IMAGE, Cmd: ['true'] });
    try {
      const files = [
        { name: 'workspace/', type: 'directory' as const, mode: 0o755 },
        { name: 'workspace/README.md', type: 'file' as const, mode: 0o644, data: Buffer.from('# Seed\nold line\n') },
        { name: 'workspace/remove-me.txt', type: 'file' as const, mode: 0o644, data: Buffer.from('bye\n') },
        { name: 'workspace/same.txt', type: 'file' as const, mode: 0o644, data: Buffer.from('same\n') },
      ];
      await seed.putArchive(await buildTar(files, { uid: 1000, gid: 1000 }), { path: '/' });
      await seed.commit({ repo: tag.split(':')[0], tag: tag.split(':')[1] });
      images.push(tag);
    } finally {
      await seed.remove({ force: true });
    }
    const agent = await runningAgent(rt, 'seeded', { llm_model: 'scripted', sandbox_image: tag });
    const id = await newConversation({ agent_id: agent });
    rt.llm.setScript(
      scripted([
        (dir) => turns.toolCall('str_replace_editor', { command: 'str_replace', path: `${dir}/README.md`, old_str: 'old line', new_str: 'new line' }),
        () => turns.toolCall('execute_bash', { command: 'rm remove-me.txt && echo fresh > fresh.txt' }),
        () => turns.toolCall('finish', { message: 'done' }),
      ]),
    );
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'change things' });
    expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
    const changes = await rt.http.get(`/api/v1/conversations/${id}/changes`);
    expect(changes.body.data).toEqual([
      {
        path: 'README.md',
        status: 'modified',
        binary: false,
        diff: '--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n # Seed\n-old line\n+new line\n',
        truncated: false,
      },
      { path: 'fresh.txt', status: 'added', binary: false, diff: '--- /dev/null\n+++ b/fresh.txt\n@@ -0,0 +1,1 @@\n+fresh\n', truncated: false },
      { path: 'remove-me.txt', status: 'deleted', binary: false, diff: '--- a/remove-me.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-bye\n', truncated: false },
    ]);
    const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
    expect(observations[0]!.diff).toContain('+new line');
    expect(observations[1]!.changed_files).toEqual([
      { path: 'fresh.txt', status: 'added' },
      { path: 'remove-me.txt', status: 'deleted' },
    ]);
  });
  test("a server on the other driver neither replaces nor reaches a conversation's Docker sandbox: 409 and a run ending in error, saying which driver; the files stay", async () => {
    const id = await newConversation();
    await ws.upload(id, 'keep.txt', 'mine\n');
    const before = await conversationRow(rt.server.databaseUrl, id);
    const local = await startTestServer({
      databaseUrl: rt.server.databaseUrl,
      env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir, LLM_BASE_URL: rt.llm.url },
    });
    try {
      const there = new WorkspaceClient(new Http(local.url, rt.user.token));
      for (const reply of [await there.list(id), await there.download(id, 'keep.txt'), await there.upload(id, 'new.txt', 'x')]) {
        expect(reply.status).toBe(409);
        expect(reply.body.error.code).toBe('conflict');
        expect(reply.body.error.message).toMatch(/SANDBOX_DRIVER=docker/);
      }
      rt.llm.setScript(scripted([() => turns.toolCall('execute_bash', { command: 'ls' }), () => turns.toolCall('finish', { message: 'done' })]));
      expect((await there.http.post(`/api/v1/conversations/${id}/messages`, { content: 'look' })).status).toBe(202);
      expect((await waitForState(there.http, id, ['error', 'finished'])).state).toBe('error');
      expect(JSON.stringify(await eventsOf(there.http, id))).toMatch(/SANDBOX_DRIVER=docker/);
    } finally {
      await local.close();
    }
    expect(await conversationRow(rt.server.databaseUrl, id)).toEqual(before);
    expect((await ws.download(id, 'keep.txt')).text).toBe('mine\n');
  });

  // Last: it stops the runtime's server.
  test('the files outlive the container: after a restart and the container lost, a new sandbox finds them; deleting the conversation removes the volume', async () => {
    const id = await newConversation();
    await ws.upload(id, 'kept.txt', 'still here\n');
    const first = (await conversationRow(rt.server.databaseUrl, id)).sandbox_id!;
    // Shutting down stops the sandbox (files kept); then the container is lost, as `docker container prune` loses it.
    await rt.server.close();
    await docker.getContainer(first).remove({ force: true });
    const again = await startTestServer({
      databaseUrl: rt.server.databaseUrl,
      env: { SANDBOX_DRIVER: 'docker', SANDBOX_IMAGE: STOCK_IMAGE, METIS_DATA_DIR: rt.dataDir },
    });
    try {
      const next = new WorkspaceClient(new Http(again.url, rt.user.token));
      expect((await next.list(id)).body.data.map((entry: any) => entry.name)).toEqual(['kept.txt']);
      expect((await next.download(id, 'kept.txt')).text).toBe('still here\n');
      const second = (await conversationRow(rt.server.databaseUrl, id)).sandbox_id!;
      expect(second).not.toBe(first);
      expect((await next.http.delete(`/api/v1/conversations/${id}`)).status).toBe(204);
      await expect(docker.getContainer(second).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getVolume(`metisai-ws-${id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await again.close();
    }
  });
});
