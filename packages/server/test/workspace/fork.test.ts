import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { hasDocker, STOCK_IMAGE } from '../../../sandbox/test/helpers/docker-availability.ts';
import { eventually } from '../support/http.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { decodeManifest, encodeManifest, manifestChunkHashes } from '../../src/workspaces/workspace-snapshot.ts';
import { WorkspaceClient } from './workspace-client.ts';
import { bash, finish, MANIFEST, manifestIn } from './workspace-manifest.ts';

for (const driver of ['local', 'docker'] as const) {
  describe.skipIf(driver === 'docker' && !hasDocker)(`forks on the ${driver} driver`, () => {
    let rt: Runtime;
    let ws: WorkspaceClient;
    beforeAll(async () => {
      rt = await startRuntime({
        driver,
        env: { QUOTA_SANDBOXES_PER_USER: '40', ...(driver === 'docker' ? { SANDBOX_IMAGE: STOCK_IMAGE, SANDBOX_ALLOWED_IMAGES: STOCK_IMAGE } : {}) },
      });
      ws = new WorkspaceClient(rt.http);
    });
    afterAll(() => rt?.close());

    const newConversation = async () => (await rt.http.post('/api/v1/conversations', {})).body.id as string;

    /** Sends a message with `steps` as the LLM's turns and waits for the run to finish. */
    const run = async (id: string, steps: Parameters<typeof scripted>[0]) => {
      rt.llm.setScript(scripted(steps));
      const posted = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
      expect(posted.status).toBe(202);
      expect((await waitForState(rt.http, id, ['finished', 'error', 'idle'], 60_000)).state).toBe('finished');
    };

    /** The workspace of `id` now, as its own agent prints it (a run of one bash step). */
    const manifestOf = async (id: string): Promise<string> => {
      await run(id, [bash(MANIFEST), finish]);
      const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
      return manifestIn(observations.at(-2)!.content);
    };

    const fork = (id: string, body: Record<string, unknown>) => rt.http.post(`/api/v1/conversations/${id}/fork`, body);

    test('three runs (v1, v2, v3, a deleted file, an executable script, a symlink, an empty directory): a fork at every step has the files of that step', async () => {
      const id = await newConversation();
      // Recorded at each step by the agent itself: the manifest printed at the end of the step's own command.
      await run(id, [
        bash(
          `mkdir -p empty src && printf v1 > src/app.txt && printf doomed > doomed.txt && printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh && ln -s src/app.txt link && ${MANIFEST}`,
        ),
        finish,
      ]);
      await run(id, [bash(`printf v2 > src/app.txt && rm doomed.txt && ln -sfn run.sh link && ${MANIFEST}`), finish]);
      await run(id, [
        (dir) => turns.toolCall('str_replace_editor', { command: 'str_replace', path: `${dir}/src/app.txt`, old_str: 'v2', new_str: 'v3' }),
        bash(MANIFEST),
        bash(`chmod 700 run.sh && rmdir empty && mkdir -p fresh/deeper && ${MANIFEST}`),
        finish,
      ]);
      const events = await eventsOf(rt.http, id);
      const steps = events.filter((event) => event.type === 'observation' && event.content.includes('<<manifest'));
      expect(steps).toHaveLength(4);
      const recorded = steps.map((step) => ({ seq: step.seq as number, manifest: manifestIn(step.content) }));
      // The steps differ from each other: a fork that got the wrong step's files fails.
      expect(new Set(recorded.map((step) => step.manifest)).size).toBe(4);
      expect(recorded[0]!.manifest).toContain('f 755 ./run.sh');
      expect(recorded[0]!.manifest).toContain('l 777 ./link src/app.txt');
      expect(recorded[0]!.manifest).toContain('d 755 ./empty');
      expect(recorded[1]!.manifest).not.toContain('doomed.txt');
      const original = (await rt.http.get(`/api/v1/conversations/${id}`)).body;

      // The editor's step: its snapshot is what the next (read-only) bash step printed.
      const editorObservation = events.filter((event) => event.type === 'observation').at(-3)!;
      const forkAt = [
        ...recorded.map((step) => ({ seq: step.seq, manifest: step.manifest })),
        { seq: editorObservation.seq as number, manifest: recorded[2]!.manifest },
      ];
      for (const point of forkAt) {
        const reply = await fork(id, { at_seq: point.seq });
        expect(reply.status).toBe(201);
        expect(reply.body).toMatchObject({
          state: 'idle',
          last_seq: point.seq,
          agent_id: original.agent_id,
          forked_from: { conversation_id: id, seq: point.seq },
        });
        const forkEvents = await eventsOf(rt.http, reply.body.id);
        expect(forkEvents.map((event) => [event.seq, event.type])).toEqual(
          events.filter((event) => event.seq <= point.seq).map((event) => [event.seq, event.type]),
        );
        expect(forkEvents.every((event, index) => event.id !== events[index]!.id)).toBe(true);
        // Before its first message the fork's files are there for the file API too.
        expect((await ws.download(reply.body.id, 'src/app.txt')).text).toBe(await expectedApp(point.manifest));
        expect(await manifestOf(reply.body.id)).toBe(point.manifest);
      }

      // Default: the last completed step; its workspace is the last one.
      const latest = await fork(id, {});
      expect(latest.status).toBe(201);
      expect(latest.body.forked_from).toEqual({ conversation_id: id, seq: original.last_seq });
      const latestManifest = await manifestOf(latest.body.id);
      expect(latestManifest).toBe(recorded[3]!.manifest);

      // A fork of a fork, before its own fork point: the first step's files.
      const again = await fork(latest.body.id, { at_seq: recorded[0]!.seq });
      expect(again.status).toBe(201);
      expect(again.body.forked_from).toEqual({ conversation_id: latest.body.id, seq: recorded[0]!.seq });
      expect(await manifestOf(again.body.id)).toBe(recorded[0]!.manifest);

      // An action without its observation snaps back to the last completed step (before that action).
      const action = events.find((event) => event.type === 'action' && event.seq > recorded[0]!.seq)!;
      const inside = await fork(id, { at_seq: action.seq });
      expect(inside.status).toBe(201);
      expect(inside.body.forked_from.seq).toBe(action.seq - 1);
      expect(inside.body.last_seq).toBe(action.seq - 1);
      expect(await manifestOf(inside.body.id)).toBe(recorded[0]!.manifest);

      // Beyond last_seq: 400 naming at_seq.
      const beyond = await fork(id, { at_seq: original.last_seq + 1 });
      expect(beyond.status).toBe(400);
      expect(beyond.body.error.details).toEqual([expect.objectContaining({ path: 'at_seq' })]);

      // The original is untouched: its files are the last step's, its log is as it was (plus this check's own run).
      expect(await manifestOf(id)).toBe(recorded[3]!.manifest);
      expect((await eventsOf(rt.http, id)).slice(0, events.length)).toEqual(events);
    }, 300_000);

    test('a file replaced by one of the same size and mtime (another inode) is recorded: the fork has the new bytes', async () => {
      const id = await newConversation();
      await run(id, [bash(`printf aaa > same.txt && touch -d @1700000000 same.txt && ${MANIFEST}`), finish]);
      await run(id, [bash(`printf bbb > next.txt && touch -d @1700000000 next.txt && mv next.txt same.txt && ${MANIFEST}`), finish]);
      const steps = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation' && event.content.includes('<<manifest'));
      const recorded = steps.map((step) => ({ seq: step.seq as number, manifest: manifestIn(step.content) }));
      expect(recorded[0]!.manifest).not.toBe(recorded[1]!.manifest);
      for (const step of recorded) {
        const reply = await fork(id, { at_seq: step.seq });
        expect(reply.status).toBe(201);
        expect(await manifestOf(reply.body.id)).toBe(step.manifest);
      }
    }, 120_000);

    test('manifests stored whole by an earlier version (before chunks) still fork exactly, and the next snapshot builds on them', async () => {
      const id = await newConversation();
      await run(id, [bash(`mkdir -p a && printf one > a/one.txt && ${MANIFEST}`), bash(`printf two > a/two.txt && ln -s a/one.txt l && ${MANIFEST}`), finish]);
      // As an earlier version stored them: each manifest whole (gzip of its JSON), the blobs its files' only.
      const db = new pg.Client({ connectionString: rt.server.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ seq: number; manifest: Buffer }>('select seq, manifest from workspace_snapshots where conversation_id = $1', [id]);
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) {
          const chunks = manifestChunkHashes(row.manifest);
          expect(chunks).not.toBeNull();
          const manifest = await decodeManifest(row.manifest, async (sha256s) => {
            const found = await db.query<{ sha256: string; content: Buffer }>('select sha256, content from snapshot_blobs where sha256 = any($1)', [sha256s]);
            return new Map(found.rows.map((blob) => [blob.sha256, blob.content]));
          });
          const files = [...new Set(manifest.flatMap((entry) => (entry.sha256 ? [entry.sha256] : [])))];
          await db.query('update workspace_snapshots set manifest = $1, blobs = $2 where conversation_id = $3 and seq = $4', [
            encodeManifest(manifest),
            files,
            id,
            row.seq,
          ]);
          await db.query('delete from snapshot_blobs where sha256 = any($1)', [chunks]);
        }
      } finally {
        await db.end();
      }
      await run(id, [bash(`printf three > a/one.txt && ${MANIFEST}`), finish]);
      const steps = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation' && event.content.includes('<<manifest'));
      expect(steps).toHaveLength(3);
      for (const step of steps) {
        const reply = await fork(id, { at_seq: step.seq });
        expect(reply.status).toBe(201);
        expect(await manifestOf(reply.body.id)).toBe(manifestIn(step.content));
      }
    }, 180_000);

    test('a fork while a command runs takes the last completed step and leaves the run alone', async () => {
      const id = await newConversation();
      await run(id, [bash(`printf before > state.txt && ${MANIFEST}`), finish]);
      const before = manifestIn((await eventsOf(rt.http, id)).filter((event) => event.type === 'observation').at(-2)!.content);
      rt.llm.setScript(scripted([bash(`printf during > state.txt && sleep 4 && printf after > state.txt`), finish]));
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
      // The command is running: its action is stored, its observation is not.
      const action = await eventually(async () => {
        const events = await eventsOf(rt.http, id);
        const last = events.at(-1);
        return last?.type === 'action' ? last : null;
      }, 20_000);
      const reply = await fork(id, {});
      expect(reply.status).toBe(201);
      expect(reply.body.forked_from.seq).toBeLessThan(action.seq);
      expect((await rt.http.get(`/api/v1/conversations/${id}`)).body.state).toBe('running');
      expect((await waitForState(rt.http, id, ['finished', 'error'], 60_000)).state).toBe('finished');
      expect((await ws.download(id, 'state.txt')).text).toBe('after');
      expect(await manifestOf(reply.body.id)).toBe(before);
    }, 120_000);

    test('uploads (each a snapshot point), deletes and directories made through the API are recorded too: a fork before the first message has them', async () => {
      const id = await newConversation();
      expect((await ws.upload(id, 'in/data.txt', 'uploaded\n')).status).toBe(201);
      expect((await ws.upload(id, 'in/gone.txt', 'gone\n')).status).toBe(201);
      expect((await rt.http.post(`/api/v1/conversations/${id}/files/mkdir`, { path: 'made/empty' })).status).toBe(201);
      expect((await rt.http.delete(`/api/v1/conversations/${id}/files?path=in/gone.txt`)).status).toBe(204);
      const reply = await fork(id, {});
      expect(reply.status).toBe(201);
      // Each upload is a `workspace` event (seq 1 and 2); the delete and the mkdir are recorded from seq 2 on.
      expect(reply.body.forked_from).toEqual({ conversation_id: id, seq: 2 });
      // Each upload is a snapshot point: at the first one's seq, only its file is there.
      const first = await fork(id, { at_seq: 1 });
      expect(first.status).toBe(201);
      expect((await ws.list(first.body.id, { path: 'in' })).body.data.map((item: { name: string }) => item.name)).toEqual(['data.txt']);
      expect((await ws.list(first.body.id, { path: 'made' })).status).toBe(404);
      // A fork of the fork whose own workspace was never restored: from the copied snapshots.
      const again = await fork(reply.body.id, {});
      for (const copy of [reply.body.id, again.body.id]) {
        expect((await ws.download(copy, 'in/data.txt')).text).toBe('uploaded\n');
        expect((await ws.list(copy, { path: 'in' })).body.data.map((item: { name: string }) => item.name)).toEqual(['data.txt']);
        expect((await ws.list(copy, { path: 'made' })).body.data.map((item: { name: string; type: string }) => [item.name, item.type])).toEqual([
          ['empty', 'directory'],
        ]);
      }
    }, 120_000);

    test('pruned snapshots: forks before before_seq are refused, later ones still exact', async () => {
      const id = await newConversation();
      await run(id, [bash(`printf one > a.txt && ${MANIFEST}`), finish]);
      await run(id, [bash(`printf two > a.txt && ${MANIFEST}`), finish]);
      const steps = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation' && event.content.includes('<<manifest'));
      const [first, second] = steps.map((step) => ({ seq: step.seq as number, manifest: manifestIn(step.content) }));
      const third = (await eventsOf(rt.http, id)).at(-1)!.seq as number;
      const pruned = await rt.http.delete(`/api/v1/conversations/${id}/snapshots?before_seq=${second!.seq + 1}`);
      expect(pruned.status).toBe(204);
      const refused = await fork(id, { at_seq: first!.seq });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('snapshot_unavailable');
      const kept = await fork(id, { at_seq: third });
      expect(kept.status).toBe(201);
      expect(await manifestOf(kept.body.id)).toBe(second!.manifest);
      expect((await rt.http.delete(`/api/v1/conversations/${id}/snapshots`)).status).toBe(400);
    }, 120_000);
  });
}

/** What `src/app.txt` holds in a manifest's step (v1, v2 or v3: the script writes one of them). */
async function expectedApp(manifest: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = /f \d+ \.\/src\/app\.txt (\S+)/.exec(manifest)?.[1];
  return ['v1', 'v2', 'v3'].find((version) => createHash('sha256').update(version).digest('hex') === hash) ?? '';
}
