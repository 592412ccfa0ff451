/**
 * `watchHostDirectory` against an agent that races it: a directory listed by the inspector and replaced by a link before
 * its watch is added must not get a watch on what the link leads to (on Docker, a directory of the engine's host outside
 * the volume). The inotify watches this process holds are read from `/proc/self/fdinfo`.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, stat, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { hostTreeInspector, type TreeInspector, watchHostDirectory } from '../src/files/host-directory-watch.ts';
import { watchedInodes } from './helpers/inotify-watches.ts';

/**
 * The host's inspector of `root`, with `race` run right after the root is listed: between the listing of its
 * directories and their watches, where an agent working in the background can change them.
 */
function racingAfterRootListing(root: string, race: () => void): TreeInspector {
  const inspector = hostTreeInspector(root);
  return {
    stat: inspector.stat,
    async list(dirs) {
      const listed = await inspector.list(dirs);
      if (dirs.includes('')) race();
      return listed;
    },
  };
}

describe.skipIf(process.platform !== 'linux')('watchHostDirectory', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'host-directory-watch-'));
  });
  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  test('a directory replaced by a link between its listing and its watch: what the link leads to is not watched', async () => {
    const root = join(base, 'workspace');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'd'), { recursive: true });
    mkdirSync(outside);
    // The agent swaps `d` for a link right after the root is listed, before `d` is watched.
    const started = await watchHostDirectory(
      root,
      racingAfterRootListing(root, () => {
        renameSync(join(root, 'd'), join(base, 'd-was'));
        symlinkSync(outside, join(root, 'd'));
      }),
    );
    try {
      expect(watchedInodes()).not.toContain(statSync(outside).ino);
      expect(watchedInodes()).not.toContain(statSync(join(base, 'd-was')).ino);
      if (started) {
        writeFileSync(join(outside, 'secret'), 'x');
        const changes = await started.watch.changes();
        for (const entry of changes?.entries ?? []) expect(entry.path.startsWith('d/')).toBe(false);
      }
    } finally {
      started?.watch.close();
    }
    expect(watchedInodes()).not.toContain(statSync(root).ino);
  });

  test('directories gone, swapped for a link or for another directory before their watch: the watch goes on, and reports what is there', async () => {
    const root = join(base, 'workspace');
    const outside = join(base, 'outside');
    for (const dir of ['gone', 'linked', 'other']) mkdirSync(join(root, dir, 'inner'), { recursive: true });
    mkdirSync(outside);
    // Right after the root is listed, before its directories are watched (an agent working in the background).
    const started = await watchHostDirectory(
      root,
      racingAfterRootListing(root, () => {
        rmSync(join(root, 'gone'), { recursive: true });
        renameSync(join(root, 'linked'), join(base, 'linked-was'));
        symlinkSync(outside, join(root, 'linked'));
        renameSync(join(root, 'other'), join(base, 'other-was'));
        mkdirSync(join(root, 'other/made'), { recursive: true });
        writeFileSync(join(root, 'other/made/f'), 'x');
      }),
    );
    expect(started).not.toBeNull();
    try {
      expect(watchedInodes()).not.toContain(statSync(outside).ino);
      const changes = (await started!.watch.changes())!;
      expect(changes).not.toBeNull();
      expect(changes.removedPaths).toContain('gone');
      const paths = changes.entries.map((entry) => `${entry.path}:${entry.kind}`);
      expect(paths).toEqual(expect.arrayContaining(['linked:symlink', 'other:directory', 'other/made:directory', 'other/made/f:file']));
      expect(paths.filter((path) => path.startsWith('linked/') || path.startsWith('gone/'))).toEqual([]);
      // The directory found there is watched now.
      writeFileSync(join(root, 'other/made/g'), 'y');
      expect((await started!.watch.changes())!.entries.map((entry) => entry.path)).toContain('other/made/g');
    } finally {
      started?.watch.close();
    }
  });

  test('changes made just before the call are reported, whatever phase of the event loop the call comes from', async () => {
    const root = join(base, 'workspace');
    mkdirSync(root);
    const started = (await watchHostDirectory(root, hostTreeInspector(root)))!;
    try {
      for (let i = 0; i < 3; i++) {
        // Called from an I/O callback (the poll phase, as after a command's output came back), a `setImmediate` runs
        // before the next poll phase.
        await new Promise((resolve) => stat(root, resolve));
        writeFileSync(join(root, `f${i}`), 'x');
        const changes = (await started.watch.changes())!;
        expect(changes.entries.map((entry) => entry.path)).toEqual([`f${i}`]);
      }
    } finally {
      started.watch.close();
    }
  });

  test('a directory removed and made again (the file system may give it the same inode number) is watched anew', async () => {
    const root = join(base, 'workspace');
    mkdirSync(join(root, 'd/s'), { recursive: true });
    const started = (await watchHostDirectory(root, hostTreeInspector(root)))!;
    try {
      for (let i = 0; i < 10; i++) {
        rmSync(join(root, 'd'), { recursive: true });
        mkdirSync(join(root, 'd/s'), { recursive: true });
        await started.watch.changes();
        writeFileSync(join(root, `d/s/f${i}`), 'x');
        const changes = (await started.watch.changes())!;
        expect(changes.entries.map((entry) => entry.path)).toContain(`d/s/f${i}`);
      }
    } finally {
      started.watch.close();
    }
  });

  test('closing a watch removes every inotify watch it added', async () => {
    const root = join(base, 'workspace');
    mkdirSync(join(root, 'a/b/c'), { recursive: true });
    const before = watchedInodes().size;
    const started = (await watchHostDirectory(root, hostTreeInspector(root)))!;
    expect(watchedInodes().size).toBe(before + 4);
    mkdirSync(join(root, 'n/m'), { recursive: true });
    rmSync(join(root, 'a/b'), { recursive: true });
    await started.watch.changes();
    expect(watchedInodes().size).toBe(before + 4);
    started.watch.close();
    expect(watchedInodes().size).toBe(before);
  });
});
