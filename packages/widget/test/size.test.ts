import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const WIDGET_DIR = fileURLToPath(new URL('..', import.meta.url));

test('the IIFE with Lit, the lean SDK and marked stays under the 67 KB (min+gzip) budget', { timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/size.mjs'], { cwd: WIDGET_DIR });
  const [, size] = /budget: ([\d.]+) KB of 67\.0 KB/.exec(stdout) ?? [];
  // Lit alone is ~6 KB, marked's lexer ~12 KB: below 30 KB something is missing from the bundle.
  expect(Number(size)).toBeGreaterThan(30);
  expect(Number(size)).toBeLessThanOrEqual(67);
});
