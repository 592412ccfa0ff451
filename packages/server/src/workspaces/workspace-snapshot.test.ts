import type { TreeEntry } from '@metisai/sandbox';
import { expect, test } from 'vitest';
import { decodeManifest, encodeManifest, entriesToRemove, type ManifestEntry } from './workspace-snapshot.ts';

const tree = (path: string, kind: TreeEntry['kind'], linkTarget?: string): TreeEntry => ({
  path,
  name: path.split('/').at(-1)!,
  kind,
  sizeBytes: 0,
  mtimeMs: 0,
  mode: 0o644,
  inode: 0,
  ctimeMs: 0,
  ...(linkTarget === undefined ? {} : { linkTarget }),
});
const entry = (path: string, kind: ManifestEntry['kind'], target?: string): ManifestEntry => ({
  path,
  kind,
  mode: 0o644,
  sizeBytes: 0,
  mtimeMs: 0,
  ...(target === undefined ? {} : { target }),
});

test('what to delete before a restore: entries the snapshot lacks, or has as another kind or link target; topmost paths only', () => {
  const current = [
    tree('keep.txt', 'file'),
    tree('gone', 'directory'),
    tree('gone/inner.txt', 'file'),
    tree('gone/deeper', 'directory'),
    tree('was-file', 'file'),
    tree('link', 'symlink', 'a'),
    tree('same-link', 'symlink', 'b'),
    tree('dir', 'directory'),
    tree('dir/extra', 'file'),
  ];
  const manifest = [
    entry('keep.txt', 'file'),
    entry('was-file', 'directory'),
    entry('link', 'symlink', 'other'),
    entry('same-link', 'symlink', 'b'),
    entry('dir', 'directory'),
  ];
  expect(entriesToRemove(current, manifest)).toEqual(['dir/extra', 'gone', 'link', 'was-file']);
});

test('manifests round-trip through their stored form', () => {
  const manifest = [{ ...entry('a b/ü.txt', 'file'), sha256: 'ab'.repeat(32), mode: 0o755, sizeBytes: 3, mtimeMs: 1.5 }, entry('l', 'symlink', '../x')];
  const stored = encodeManifest(manifest);
  expect(stored[0]).toBe(0x1f);
  expect(decodeManifest(stored)).toEqual(manifest);
});
