import { expect, test } from 'vitest';
import { formatBytes } from './format-bytes.ts';

test('sizes in B, KB, MB and GB (powers of 1024), one decimal at most', () => {
  expect(formatBytes(512, 'en')).toBe('512 B');
  expect(formatBytes(1536, 'en')).toBe('1.5 KB');
  expect(formatBytes(10 * 1024 * 1024, 'en')).toBe('10 MB');
  expect(formatBytes(3 * 1024 ** 3, 'en')).toBe('3 GB');
  expect(formatBytes(10 * 1024 * 1024, 'zh-CN')).toBe('10 MB');
  expect(formatBytes(1_234_567_890_123, 'en')).toBe('1,149.8 GB');
});
