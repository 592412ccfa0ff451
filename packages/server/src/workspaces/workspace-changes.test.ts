import { mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDriver, type Sandbox } from '@metisai/sandbox';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type BaselineFile, computeChanges, DEFAULT_CHANGES_LIMITS, snapshotWorkspace } from './workspace-changes.ts';

let rootDir: string;
let sandbox: Sandbox;
beforeAll(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'metis-changes-'));
  sandbox = await localDriver({ rootDir, onLog: () => undefined }).create();
});
afterAll(async () => {
  await sandbox?.remove();
  await rm(rootDir, { recursive: true, force: true });
});

/** The snapshot as it is stored: entries, and bytes read back by path. */
const stored = (snapshot: BaselineFile[]) =>
  [
    snapshot.map(({ content, ...entry }) => ({ ...entry, hasContent: content !== null })),
    async (path: string) => snapshot.find((file) => file.path === path)?.content ?? null,
  ] as const;

const put = async (path: string, data: string | Uint8Array) => {
  await mkdir(join(sandbox.workdir, path, '..'), { recursive: true });
  await writeFile(join(sandbox.workdir, path), data);
};

test('changes since a snapshot: added, modified, deleted with diffs; unchanged, touched-only and ignored files left out; binary flagged', async () => {
  await put('keep.txt', 'same\n');
  await put('edit.txt', 'one\ntwo\nthree\n');
  await put('gone.txt', 'bye\n');
  await put('touched.txt', 'still the same\n');
  await put('image.bin', new Uint8Array([0, 1, 2, 3]));
  await put('.gitignore', 'dist/\n');
  const baseline = await snapshotWorkspace(sandbox.files, sandbox.workdir);
  expect(baseline.find((file) => file.path === 'image.bin')).toMatchObject({ isBinary: true, content: null });

  await put('edit.txt', 'one\nTWO\nthree\n');
  await unlink(join(sandbox.workdir, 'gone.txt'));
  await utimes(join(sandbox.workdir, 'touched.txt'), new Date(2021, 1, 1), new Date(2021, 1, 1));
  await put('image.bin', new Uint8Array([0, 9, 9]));
  await put('new/file.py', 'print(1)\n');
  await put('dist/bundle.js', 'ignored');
  await put('.git/HEAD', 'ref');
  await symlink('keep.txt', join(sandbox.workdir, 'alias'));

  const { data, truncated } = await computeChanges(sandbox.files, sandbox.workdir, ...stored(baseline));
  expect(truncated).toBe(false);
  expect(data).toEqual([
    { path: 'alias', status: 'added', binary: false, diff: null, truncated: false },
    {
      path: 'edit.txt',
      status: 'modified',
      binary: false,
      diff: '--- a/edit.txt\n+++ b/edit.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n',
      truncated: false,
    },
    { path: 'gone.txt', status: 'deleted', binary: false, diff: '--- a/gone.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-bye\n', truncated: false },
    { path: 'image.bin', status: 'modified', binary: true, diff: null, truncated: false },
    { path: 'new/file.py', status: 'added', binary: false, diff: '--- /dev/null\n+++ b/new/file.py\n@@ -0,0 +1,1 @@\n+print(1)\n', truncated: false },
  ]);
});

test('the answer is cut at maxFiles and once the diff budget is spent; large files are listed without a diff', async () => {
  const baseline = await snapshotWorkspace(sandbox.files, sandbox.workdir);
  for (const name of ['a', 'b', 'c', 'd']) await put(`many/${name}.txt`, `${name}\n`.repeat(100));
  await put('many/huge.txt', 'x'.repeat(2000));
  const limits = { ...DEFAULT_CHANGES_LIMITS, maxReadBytes: 1000, maxTotalDiffChars: 500 };
  const all = await computeChanges(sandbox.files, sandbox.workdir, ...stored(baseline), limits);
  expect(all.data.map((change) => [change.path, change.diff === null, change.truncated])).toEqual([
    ['many/a.txt', false, false],
    ['many/b.txt', false, false],
    ['many/c.txt', true, true],
    ['many/d.txt', true, true],
    ['many/huge.txt', true, true],
  ]);
  const cut = await computeChanges(sandbox.files, sandbox.workdir, ...stored(baseline), { ...limits, maxFiles: 2 });
  expect(cut.data.map((change) => change.path)).toEqual(['many/a.txt', 'many/b.txt']);
  expect(cut.truncated).toBe(true);
});
