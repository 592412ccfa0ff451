import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Builds @metisai/sdk once before the packaging tests (the tarball, the browser bundle and the size budget all
 * use what would be published). Once per run, not per file: parallel builds would clean each other's dist.
 */
export default async function buildSdkOnce() {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  await promisify(execFile)('npm', ['run', 'build', '-w', '@metisai/sdk'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
}
