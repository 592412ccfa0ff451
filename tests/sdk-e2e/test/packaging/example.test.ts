import { expect, test } from 'vitest';
import { ROOT, run } from './build-sdk.ts';

test('examples/node-quickstart runs a task end to end against the scripted LLM (npm run example)', { timeout: 120_000 }, async () => {
  const { stdout } = await run('npm', ['run', 'example', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_DRIVER: 'local' },
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(stdout).toMatch(/^registered quickstart@example.com$/m);
  expect(stdout).toMatch(/^agent quickstart is running$/m);
  expect(stdout).toMatch(/⚙️ {2}execute_bash .*fizzbuzz\.py/);
  expect(stdout).toMatch(/📄 FizzBuzz/);
  expect(stdout).toMatch(/^done: finished, \d+ tokens$/m);
});
