import type { TreeEntry } from '@metisai/sandbox';
import { describe, expect, test } from 'vitest';
import { applyScan } from './workspace-listing.ts';

const entry = (path: string, kind: TreeEntry['kind'] = 'file', more: Partial<TreeEntry> = {}): TreeEntry => ({
  path,
  name: path.slice(path.lastIndexOf('/') + 1),
  kind,
  sizeBytes: 1,
  mtimeMs: 1000,
  ctimeMs: 1000,
  mode: 0o644,
  inode: path.length,
  ...more,
});

const listing = (...entries: TreeEntry[]) => new Map(entries.map((item) => [item.path, item]));

describe('applyScan', () => {
  const previous = listing(entry('a', 'directory'), entry('a/b'), entry('a/c', 'directory'), entry('a/c/d'), entry('e'));

  test('a scan that found nothing keeps every entry and says nothing changed', () => {
    const applied = applyScan(previous, { entries: [], listedDirectories: [] });
    expect([...applied.entries.keys()]).toEqual(['a', 'a/b', 'a/c', 'a/c/d', 'e']);
    expect(applied.changed).toBe(false);
  });

  test('entries listed again with the same stat data change nothing', () => {
    expect(applyScan(previous, { entries: [entry('a/b'), entry('e')], listedDirectories: [] }).changed).toBe(false);
  });

  test('other stat data, a new entry or a removed one is a change', () => {
    expect(applyScan(previous, { entries: [entry('e', 'file', { ctimeMs: 1001 })], listedDirectories: [] }).changed).toBe(true);
    expect(applyScan(previous, { entries: [entry('f')], listedDirectories: [] }).changed).toBe(true);
    expect(applyScan(previous, { entries: [], listedDirectories: [], removedPaths: ['e'] }).changed).toBe(true);
  });

  test('a removed directory goes with everything under it; an entry listed again wins over its removal', () => {
    const applied = applyScan(previous, { entries: [entry('e', 'file', { sizeBytes: 2 })], listedDirectories: [], removedPaths: ['a/c', 'e'] });
    expect([...applied.entries.keys()].sort()).toEqual(['a', 'a/b', 'e']);
    expect(applied.entries.get('e')?.sizeBytes).toBe(2);
  });

  test('a removed path that was never listed changes nothing', () => {
    expect(applyScan(previous, { entries: [], listedDirectories: [], removedPaths: ['zz'] }).changed).toBe(false);
  });
});
