import { expect, test } from 'vitest';
import { isBinary, truncationMarker, unifiedDiff } from './unified-diff.ts';

test('a modification, an addition and a deletion in git-style unified format', () => {
  expect(unifiedDiff('x.txt', 'a\nb\nc\n', 'a\nB\nc\n')).toEqual({
    diff: '--- a/x.txt\n+++ b/x.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    truncated: false,
  });
  expect(unifiedDiff('new.txt', null, 'hi\n').diff).toBe('--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,1 @@\n+hi\n');
  expect(unifiedDiff('old.txt', 'bye\n', null).diff).toBe('--- a/old.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-bye\n');
  expect(unifiedDiff('same', 'x', 'x')).toEqual({ diff: '', truncated: false });
  expect(unifiedDiff('empty', null, '')).toEqual({ diff: '', truncated: false });
  expect(unifiedDiff('n.txt', null, 'a\nb')).toEqual({
    diff: '--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n',
    truncated: false,
  });
});

test('a diff over the cap is cut at a line end and marked', () => {
  const after = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
  const { diff, truncated } = unifiedDiff('big.txt', null, after, { maxChars: 1000, timeoutMs: 2000 });
  expect(truncated).toBe(true);
  expect(diff!.length).toBeLessThanOrEqual(1000 + truncationMarker(1000).length);
  expect(diff!.endsWith(`\n${truncationMarker(1000)}`)).toBe(true);
});

test('binary content is a NUL byte in the first 8000 bytes', () => {
  expect(isBinary(new Uint8Array([104, 105, 0]))).toBe(true);
  expect(isBinary(new TextEncoder().encode('plain ✓ text'))).toBe(false);
  expect(isBinary(new Uint8Array([...new Uint8Array(8000).fill(65), 0]))).toBe(false);
});

test("a whole-file patch reads like jsdiff's", async () => {
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = await import('diff');
  for (const text of ['one\n', 'a\nb', 'x\r\ny\r\n', '\n\n']) {
    expect(unifiedDiff('f', null, text).diff).toBe(
      createTwoFilesPatch('/dev/null', 'b/f', '', text, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }),
    );
    expect(unifiedDiff('f', text, null).diff).toBe(
      createTwoFilesPatch('a/f', '/dev/null', text, '', undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }),
    );
  }
});
