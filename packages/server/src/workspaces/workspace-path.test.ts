import { expect, test } from 'vitest';
import { insideWorkspace, MAX_NAME_BYTES, MAX_PATH_BYTES, relativeTo, toWorkspacePath } from './workspace-path.ts';

test('workspace paths are normalised relative to the root; /workspace/… is an alias', () => {
  expect(toWorkspacePath('src/a.py')).toBe('src/a.py');
  expect(toWorkspacePath('./src//lib/../a.py/')).toBe('src/a.py');
  expect(toWorkspacePath('')).toBe('');
  expect(toWorkspacePath('.')).toBe('');
  expect(toWorkspacePath('/workspace')).toBe('');
  expect(toWorkspacePath('/workspace/')).toBe('');
  expect(toWorkspacePath('/workspace/src/x')).toBe('src/x');
  expect(toWorkspacePath('a/../b')).toBe('b');
  expect(toWorkspacePath('日本語/ファイル.txt')).toBe('日本語/ファイル.txt');
});

test('other absolute paths, escapes and NUL are invalid_path naming the field', () => {
  for (const bad of ['/etc/passwd', '/workspaces/x', '/', '..', '../x', 'a/../../x', '/workspace/../etc', 'a\0b']) {
    expect(() => toWorkspacePath(bad, 'to'), bad).toThrow(
      expect.objectContaining({ code: 'invalid_path', details: [expect.objectContaining({ path: 'to' })] }),
    );
  }
});

test("names and paths over Linux's limits are invalid_path (counted in UTF-8 bytes), up to them they pass", () => {
  expect(toWorkspacePath('a'.repeat(MAX_NAME_BYTES))).toBe('a'.repeat(MAX_NAME_BYTES));
  const longPath = Array.from({ length: 15 }, () => 'b'.repeat(255)).join('/');
  expect(Buffer.byteLength(longPath)).toBeLessThanOrEqual(MAX_PATH_BYTES);
  expect(toWorkspacePath(longPath)).toBe(longPath);
  for (const bad of ['a'.repeat(MAX_NAME_BYTES + 1), `x/${'語'.repeat(86)}`, Array.from({ length: 16 }, () => 'c'.repeat(255)).join('/')]) {
    expect(() => toWorkspacePath(bad, 'path'), bad.slice(0, 20)).toThrow(
      expect.objectContaining({ code: 'invalid_path', details: [expect.objectContaining({ path: 'path' })] }),
    );
  }
});

test('containment is by whole components', () => {
  expect(insideWorkspace('/w', '/w')).toBe(true);
  expect(insideWorkspace('/w', '/w/a')).toBe(true);
  expect(insideWorkspace('/w', '/wx')).toBe(false);
  expect(insideWorkspace('/w', '/')).toBe(false);
  expect(relativeTo('/w', '/w/a/b')).toBe('a/b');
  expect(relativeTo('/w', '/w')).toBe('');
});
