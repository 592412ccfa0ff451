import { afterAll, beforeAll, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { startTestServer } from '../support/test-server.ts';
import { Http } from '../support/http.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(() => rt?.close());

test('editor edits carry their unified diff and bash steps the files they changed, stored with the observation', async () => {
  rt.llm.setScript(
    scripted([
      (dir) => turns.toolCall('str_replace_editor', { command: 'create', path: `${dir}/src/app.py`, file_text: 'a = 1\nb = 2\n' }),
      (dir) => turns.toolCall('str_replace_editor', { command: 'str_replace', path: `${dir}/src/app.py`, old_str: 'b = 2', new_str: 'b = 3' }),
      (dir) => turns.toolCall('str_replace_editor', { command: 'view', path: `${dir}/src/app.py` }),
      (dir) => turns.toolCall('str_replace_editor', { command: 'str_replace', path: `${dir}/src/app.py`, old_str: 'missing', new_str: 'x' }),
      () => turns.toolCall('execute_bash', { command: 'echo new > new.txt && rm src/app.py && mkdir -p .git && touch .git/index' }),
      () => turns.toolCall('execute_bash', { command: 'true' }),
      (dir) => turns.toolCall('str_replace_editor', { command: 'create', path: `${dir}/later.txt`, file_text: 'later\n' }),
      () => turns.toolCall('execute_bash', { command: 'cat later.txt && echo more >> new.txt' }),
      () => turns.toolCall('finish', { message: 'done' }),
    ]),
  );
  const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'edit' });
  expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');

  const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
  const [create, replace, view, refused, bash, quiet, later, lastBash] = observations;
  expect(create!.diff).toBe('--- /dev/null\n+++ b/src/app.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n');
  expect(replace!.diff).toBe('--- a/src/app.py\n+++ b/src/app.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n');
  expect(view).not.toHaveProperty('diff');
  expect(refused!.content).toMatch(/^ERROR/);
  expect(refused).not.toHaveProperty('diff');
  expect(bash!.changed_files).toEqual([
    { path: 'new.txt', status: 'added' },
    { path: 'src/app.py', status: 'deleted' },
  ]);
  expect(quiet).not.toHaveProperty('changed_files');
  expect(later!.diff).toBe('--- /dev/null\n+++ b/later.txt\n@@ -0,0 +1,1 @@\n+later\n');
  // The editor's own change is not counted again for the next bash step.
  expect(lastBash!.changed_files).toEqual([{ path: 'new.txt', status: 'modified' }]);
  // Bash steps have no diff and edits no file list.
  expect(bash).not.toHaveProperty('diff');
  expect(replace).not.toHaveProperty('changed_files');

  // Stored: a server started anew on the same database reads them back.
  const again = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
  try {
    const reloaded = (await eventsOf(new Http(again.url, rt.user.token), id)).filter((event) => event.type === 'observation');
    expect(reloaded[1]!.diff).toBe(replace!.diff);
    expect(reloaded[4]!.changed_files).toEqual(bash!.changed_files);
  } finally {
    await again.close();
  }
});

test('a bash step that changes more than 100 files lists 100 and says so', async () => {
  rt.llm.setScript(
    scripted([
      () => turns.toolCall('execute_bash', { command: 'mkdir many && for i in $(seq 1 150); do touch many/f$i; done' }),
      () => turns.toolCall('finish', { message: 'ok' }),
    ]),
  );
  const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
  await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'many' });
  await waitForState(rt.http, id, ['finished', 'error']);
  const bash = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!;
  expect(bash.changed_files).toHaveLength(100);
  expect(bash.changed_files_truncated).toBe(true);
});
