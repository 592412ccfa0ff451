import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { turns } from '@metisai/scripted-llm';
import { afterEach, describe, expect, test } from 'vitest';
import { watchedInodes } from '../../../sandbox/test/helpers/inotify-watches.ts';
import { type Harness, startHarness } from './agent-harness.ts';

/**
 * A run keeps its workspace listing up to date through inotify watches (local driver: always); however the run ends,
 * they are all removed with it. Watches are told apart by the inodes of the workspace's directories
 * (`/proc/self/fdinfo`: the server runs in this process).
 */
let h: Harness;
let other: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await other?.close();
  other = undefined;
});

/** Inodes of the directory `root` and of every directory under it. */
function directoryInodes(root: string): Set<number> {
  const inodes = new Set<number>([statSync(root).ino]);
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) inodes.add(statSync(join(entry.parentPath, entry.name)).ino);
  }
  return inodes;
}

/** The workspace's directories this process holds an inotify watch on. */
const watchesOn = (root: string) => {
  const watched = watchedInodes();
  return [...directoryInodes(root)].filter((inode) => watched.has(inode));
};

describe.skipIf(process.platform !== 'linux')('workspace watches of a run', () => {
  test('are in place while the run works and all removed when it finishes, fails or is stopped, run after run', async () => {
    const steps = [
      turns.toolCall('execute_bash', { command: 'mkdir -p a/b/c && touch a/b/c/f && echo watching' }),
      turns.toolCall('finish', { message: 'done' }),
      turns.error(400, 'the model refuses'),
      turns.toolCall('execute_bash', { command: 'mkdir -p d/e && echo started && sleep 100' }),
    ];
    const script = Array.from({ length: 5 }, () => steps).flat();
    h = await startHarness(() => script);
    const root = h.sandbox.workdir;
    for (let round = 0; round < 5; round++) {
      // Finished.
      let during: number[] = [];
      h.emitter.user('make a tree');
      const finished = await h.run({
        onCommandOutput: (_id, chunk) => {
          if (chunk.includes('watching')) during = watchesOn(root);
        },
      });
      expect(finished.state).toBe('finished');
      expect(during.length, 'watched while running').toBeGreaterThan(0);
      expect(watchesOn(root), 'after finished').toEqual([]);
      // Failed (the LLM answers an error).
      h.emitter.user('fail');
      expect((await h.run()).state).toBe('error');
      expect(watchesOn(root), 'after error').toEqual([]);
      // Stopped during a command.
      h.emitter.user('sleep');
      const stop = new AbortController();
      const stopped = await h.run({
        signal: stop.signal,
        onCommandOutput: (_id, chunk) => {
          if (chunk.includes('started') && !stop.signal.aborted) stop.abort();
        },
      });
      expect(stopped.state).toBe('stopped');
      expect(watchesOn(root), 'after stopped').toEqual([]);
    }
  }, 120_000);

  test('two runs at once each report their own files, also when one makes more events than a watch can vouch for', async () => {
    // The first run writes 9,000 files (more than half the kernel's queue: every watch of the process hands over to
    // scans) while the second makes small changes step after step.
    const small = Array.from({ length: 6 }, (_, i) =>
      turns.toolCall('execute_bash', { command: `mkdir -p mine/${i} && printf ${i} > mine/${i}/f && sleep 0.05` }),
    );
    h = await startHarness(() => [
      turns.toolCall('execute_bash', { command: 'mkdir burst && (cd burst && seq 1 9000 | xargs touch)' }),
      turns.toolCall('execute_bash', { command: 'printf after > burst/1 && rm burst/2' }),
      turns.toolCall('finish', { message: 'done' }),
    ]);
    other = await startHarness(() => [...small, turns.toolCall('finish', { message: 'done' })]);
    h.emitter.user('burst');
    other.emitter.user('small');
    const [first, second] = await Promise.all([h.run(), other.run()]);
    expect([first.state, second.state]).toEqual(['finished', 'finished']);
    const changed = (harness: Harness) => harness.emitter.all('observation').map((observation) => observation.changed_files ?? []);
    const [burst, after] = changed(h);
    expect(burst).toHaveLength(100);
    expect(burst!.every((file) => file.path.startsWith('burst/') && file.status === 'added')).toBe(true);
    expect(after).toEqual([
      { path: 'burst/1', status: 'modified' },
      { path: 'burst/2', status: 'deleted' },
    ]);
    // Its bash steps, then `finish` (an observation with no files).
    expect(changed(other)).toEqual([...small.map((_, i) => [{ path: `mine/${i}/f`, status: 'added' }]), []]);
    expect(watchesOn(h.sandbox.workdir)).toEqual([]);
    expect(watchesOn(other.sandbox.workdir)).toEqual([]);
  }, 120_000);
});
