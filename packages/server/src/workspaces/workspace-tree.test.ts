import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDriver, type Sandbox } from '@metisai/sandbox';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { compareTrees, type TreeFile, workspaceTree } from './workspace-tree.ts';

let rootDir: string;
let sandbox: Sandbox;
beforeAll(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'metis-tree-'));
  sandbox = await localDriver({ rootDir, onLog: () => undefined }).create();
});
afterAll(async () => {
  await sandbox?.remove();
  await rm(rootDir, { recursive: true, force: true });
});

const put = async (path: string, text = 'x') => {
  await mkdir(join(sandbox.workdir, path, '..'), { recursive: true });
  await writeFile(join(sandbox.workdir, path), text);
};

test('workspaceTree leaves out .git and what .gitignore files ignore, with negation and nested files', async () => {
  await put('.gitignore', 'node_modules/\n*.log\n!keep.log\nbuild\n');
  await put('src/app.ts');
  await put('src/debug.log');
  await put('keep.log');
  await put('node_modules/pkg/index.js');
  await put('build/out.js');
  await put('.git/HEAD');
  await put('sub/.git/config');
  await put('sub/.gitignore', '*.tmp\n!*.log\n');
  await put('sub/a.tmp');
  await put('sub/b.log');
  await put('sub/c.txt');
  await symlink('src/app.ts', join(sandbox.workdir, 'link.ts'));
  const tree = await workspaceTree(sandbox.files, sandbox.workdir);
  expect([...tree.keys()].sort()).toEqual(['.gitignore', 'keep.log', 'link.ts', 'src/app.ts', 'sub/.gitignore', 'sub/b.log', 'sub/c.txt']);
  expect(tree.get('link.ts')).toMatchObject({ kind: 'symlink' });
  expect(tree.get('src/app.ts')).toMatchObject({ kind: 'file', sizeBytes: 1 });
});

test('compareTrees: added, modified (size, mtime, ctime, mode or link target), deleted, sorted by path', () => {
  const file = (path: string, sizeBytes = 1, mtimeMs = 1, more: Partial<TreeFile> = {}): [string, TreeFile] => [
    path,
    { path, kind: 'file', sizeBytes, mtimeMs, ctimeMs: 1, mode: 0o644, ...more },
  ];
  const before = new Map([file('a'), file('b'), file('c'), file('d'), file('f'), file('g'), file('h', 1, 1, { kind: 'symlink', linkTarget: 'a' })]);
  const after = new Map([
    file('a'),
    file('b', 2),
    file('c', 1, 2),
    file('e'),
    file('f', 1, 1, { ctimeMs: 2 }),
    file('g', 1, 1, { mode: 0o755 }),
    file('h', 1, 1, { kind: 'symlink', linkTarget: 'b' }),
  ]);
  expect(compareTrees(before, after)).toEqual([
    { path: 'b', status: 'modified' },
    { path: 'c', status: 'modified' },
    { path: 'd', status: 'deleted' },
    { path: 'e', status: 'added' },
    { path: 'f', status: 'modified' },
    { path: 'g', status: 'modified' },
    { path: 'h', status: 'modified' },
  ]);
});

test('a touched file counts as modified', async () => {
  await put('touched.txt');
  const before = await workspaceTree(sandbox.files, sandbox.workdir);
  await utimes(join(sandbox.workdir, 'touched.txt'), new Date(2020, 0, 1), new Date(2020, 0, 1));
  expect(compareTrees(before, await workspaceTree(sandbox.files, sandbox.workdir))).toEqual([{ path: 'touched.txt', status: 'modified' }]);
});
