import type { TreeEntry } from '@metisai/sandbox';
import { expect, test } from 'vitest';
import { gunzipSync } from 'node:zlib';
import {
  decodeManifest,
  encodeManifest,
  encodeManifestChunks,
  entriesToRemove,
  MAX_CHUNK_ENTRIES,
  type ManifestEntry,
  manifestChunkHashes,
} from './workspace-snapshot.ts';

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

const chunkStore = (stored: Map<string, Uint8Array>) => async (sha256s: string[]) =>
  new Map(sha256s.flatMap((sha256) => (stored.has(sha256) ? [[sha256, stored.get(sha256)!] as const] : [])));

test('manifests round-trip through their stored forms: whole (before format 2) and in chunks', async () => {
  const manifest = [{ ...entry('a b/ü.txt', 'file'), sha256: 'ab'.repeat(32), mode: 0o755, sizeBytes: 3, mtimeMs: 1.5 }, entry('l', 'symlink', '../x')];
  const whole = encodeManifest(manifest);
  expect(whole[0]).toBe(0x1f);
  expect(manifestChunkHashes(whole)).toBeNull();
  expect(await decodeManifest(whole, chunkStore(new Map()))).toEqual(manifest);
  const chunked = encodeManifestChunks(manifest);
  expect(manifestChunkHashes(chunked.index)).toEqual([...chunked.chunks.keys()]);
  expect(await decodeManifest(chunked.index, chunkStore(chunked.chunks))).toEqual(manifest);
  await expect(decodeManifest(chunked.index, chunkStore(new Map()))).rejects.toThrow(/missing/);
  const empty = encodeManifestChunks([]);
  expect(await decodeManifest(empty.index, chunkStore(empty.chunks))).toEqual([]);
});

test('a manifest is cut where its paths say: one changed entry changes one chunk, a new one at most two', () => {
  const files = Array.from({ length: 5000 }, (_, i) => ({ ...entry(`d${i % 50}/f${String(i).padStart(5, '0')}`, 'file'), sha256: 'cd'.repeat(32) }));
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const before = encodeManifestChunks(files);
  // About 64 entries per chunk, none above the cap.
  expect(before.chunks.size).toBeGreaterThan(5000 / 64 / 2);
  expect(before.chunks.size).toBeLessThan((5000 / 64) * 2);
  for (const bytes of before.chunks.values()) expect(JSON.parse(gunzipSync(bytes).toString()).length).toBeLessThanOrEqual(MAX_CHUNK_ENTRIES);
  // The same manifest, the same chunks.
  expect([...encodeManifestChunks(files).chunks.keys()]).toEqual([...before.chunks.keys()]);
  const changed = files.map((item, i) => (i === 2500 ? { ...item, sha256: 'ef'.repeat(32) } : item));
  const after = encodeManifestChunks(changed);
  expect([...after.chunks.keys()].filter((sha256) => !before.chunks.has(sha256))).toHaveLength(1);
  const inserted = [...files.slice(0, 1000), { ...entry(`${files[999]!.path}-new`, 'file'), sha256: 'aa'.repeat(32) }, ...files.slice(1000)];
  expect([...encodeManifestChunks(inserted).chunks.keys()].filter((sha256) => !before.chunks.has(sha256)).length).toBeLessThanOrEqual(2);
  // The index stays small: a sha256 per chunk.
  expect(before.index.byteLength).toBeLessThan(8 * 1024);
});
