import { expect, test } from 'vitest';
import { insideWorkspace, relativeTo, toWorkspacePath } from './workspace-path.ts';

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

test('containment is by whole components', () => {
  expect(insideWorkspace('/w', '/w')).toBe(true);
  expect(insideWorkspace('/w', '/w/a')).toBe(true);
  expect(insideWorkspace('/w', '/wx')).toBe(false);
  expect(insideWorkspace('/w', '/')).toBe(false);
  expect(relativeTo('/w', '/w/a/b')).toBe('a/b');
  expect(relativeTo('/w', '/w')).toBe('');
});
