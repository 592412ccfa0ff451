import { describe, expect, test } from 'vitest';
import { toJsonbText, toJsonbValue } from './json-text.ts';

describe('toJsonbText', () => {
  test('replaces lone surrogates with U+FFFD and removes NUL; keeps pairs and everything else', () => {
    const emoji = '😀';
    expect(toJsonbText(`cut ${emoji.slice(0, 1)}`)).toBe('cut \uFFFD');
    expect(toJsonbText(`${emoji.slice(1)} start`)).toBe('\uFFFD start');
    expect(toJsonbText(`a\0b\0`)).toBe('ab');
    expect(toJsonbText(`ok ${emoji} é 中 \t\n`)).toBe(`ok ${emoji} é 中 \t\n`);
    expect(toJsonbText('\uDC00\uD800')).toBe('\uFFFD\uFFFD');
  });
});

describe('toJsonbValue', () => {
  test('cleans every string of a JSON value, keys included', () => {
    const value = { 'k\0ey': ['x\uD83D', { nested: 'y\0', n: 1, b: true, z: null }], ok: 'fine' };
    expect(toJsonbValue(value)).toEqual({ key: ['x\uFFFD', { nested: 'y', n: 1, b: true, z: null }], ok: 'fine' });
    expect(JSON.stringify(toJsonbValue(value))).not.toMatch(/\\u0000|\\ud83d/i);
  });

  test('returns the same value when nothing needs cleaning', () => {
    const value = { a: ['b', { c: 'd' }], e: 2 };
    expect(toJsonbValue(value)).toBe(value);
    const date = new Date();
    expect(toJsonbValue({ date }).date).toBe(date);
  });
});
