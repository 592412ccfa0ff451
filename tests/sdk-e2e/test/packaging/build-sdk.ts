import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SDK_DIR = fileURLToPath(new URL('../../../../packages/sdk/', import.meta.url));

let built: Promise<void> | undefined;
/** `npm run build -w @metisai/sdk`, once per test file: the tests here use what would be published. */
export const buildSdk = () =>
  (built ??= run('npm', ['run', 'build', '-w', '@metisai/sdk'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(() => undefined));
