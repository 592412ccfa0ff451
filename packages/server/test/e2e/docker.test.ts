import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
// The sandbox package's policy, reused as is: no engine → a warning and a skip; CI set and no engine → a failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { newConversation, waitForEvent } from './e2e-helpers.ts';

describe.skipIf(!hasDocker)('a run in a Docker sandbox, over HTTP', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime({ driver: 'docker', env: { SANDBOX_IMAGE: 'metisai/sandbox:latest' } });
  });
  afterAll(() => rt?.close());

  test('creates a file, runs it with python3 in /workspace, finishes; a stop ends `sleep 100` within 2 s', async () => {
    const workdirs: string[] = [];
    rt.llm.setScript(
      scripted([
        (dir) => {
          workdirs.push(dir);
          return turns.toolCall('str_replace_editor', { command: 'create', path: `${dir}/hello.py`, file_text: 'import os\nprint("hi from", os.getcwd())\n' });
        },
        () => turns.toolCall('execute_bash', { command: 'python3 hello.py' }),
        () => turns.toolCall('finish', { message: 'done' }),
        () => turns.toolCall('execute_bash', { command: 'sleep 100' }),
        () => turns.text('unused'),
      ]),
    );
    const id = await newConversation(rt.http);
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'write and run hello.py' })).status).toBe(202);
    expect((await waitForState(rt.http, id, ['finished', 'error', 'idle'], 60_000)).state).toBe('finished');
    expect(workdirs).toEqual(['/workspace']);
    const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation');
    expect(observations[1]).toMatchObject({ exit_code: 0 });
    expect(observations[1]!.content).toContain('hi from /workspace');

    // The second run reuses the conversation's container; a stop interrupts the command in it.
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'now sleep' });
    await waitForEvent(rt.http, id, (event) => event.type === 'action' && event.args?.command === 'sleep 100', 30_000);
    const started = Date.now();
    expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
    expect((await waitForState(rt.http, id, ['stopped', 'error', 'idle', 'finished'], 10_000)).state).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(2000);
    const events = await eventsOf(rt.http, id);
    expect(events.filter((event) => event.type === 'observation').at(-1)).toMatchObject({ exit_code: 130 });
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'stopped', reason: 'user_stop' });
    // Clean up the container with the conversation.
    expect((await rt.http.delete(`/api/v1/conversations/${id}`)).status).toBeLessThan(300);
  }, 120_000);
});
