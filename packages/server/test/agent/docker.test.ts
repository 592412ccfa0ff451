import { afterEach, describe, expect, test } from 'vitest';
import { DockerUnavailableError, dockerDriver, type Sandbox } from '@metisai/sandbox';
import { turns } from '@metisai/scripted-llm';
import { startHarness, type Harness } from './agent-harness.ts';

/** A Docker sandbox of the prebuilt image, or null (suite skipped) when no engine answers. */
const dockerSandbox = (): Promise<Sandbox | null> =>
  dockerDriver({ buildDefaultImage: false, onLog: () => {} })
    .create()
    .catch((err: unknown) => {
      if (err instanceof DockerUnavailableError || (err as { code?: string }).code === 'image_not_found') return null;
      throw err;
    });
const probe = await dockerSandbox();
await probe?.remove();

let h: Harness;
afterEach(() => h?.close());

describe.skipIf(!probe)('in a Docker sandbox', () => {
  test('creates a file, runs it, finishes; a stop interrupts a running command', async () => {
    const sandbox = (await dockerSandbox())!;
    h = await startHarness(
      (workdir) => [
        turns.toolCall('str_replace_editor', { command: 'create', path: `${workdir}/hello.py`, file_text: 'print("hi from docker")\n' }),
        turns.toolCall('execute_bash', { command: 'python3 hello.py' }),
        turns.toolCall('finish', { message: 'done' }),
        turns.toolCall('execute_bash', { command: 'echo started && sleep 100' }),
      ],
      { sandbox },
    );
    h.emitter.user('hello.py');
    expect((await h.run()).state).toBe('finished');
    expect(h.emitter.all('observation')[1]!.content).toContain('hi from docker');
    expect(await sandbox.files.stat('/workspace/hello.py')).toMatchObject({ kind: 'file' });

    h.emitter.user('now sleep');
    const stop = new AbortController();
    let stoppedAt = 0;
    const result = await h.run({
      signal: stop.signal,
      onCommandOutput: (_id, chunk) => {
        if (chunk.includes('started') && !stop.signal.aborted) {
          stoppedAt = Date.now();
          stop.abort();
        }
      },
    });
    expect(result.state).toBe('stopped');
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(h.emitter.last('observation').exit_code).toBe(130);
  });
});
