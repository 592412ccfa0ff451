import { expect, test } from 'vitest';
import { run, SDK_DIR } from './build-sdk.ts';

test('the browser bundle with its dependencies stays under the 30 KB (min+gzip) budget', { timeout: 120_000 }, async () => {
  const { stdout } = await run(process.execPath, ['scripts/size.mjs'], { cwd: SDK_DIR });
  const [, size] = /budget: ([\d.]+) KB of 30\.0 KB/.exec(stdout) ?? [];
  expect(Number(size)).toBeGreaterThan(5); // it measured something real
  expect(Number(size)).toBeLessThanOrEqual(30);
});
