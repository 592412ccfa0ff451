import { ROOT, run } from './build-sdk.ts';

/**
 * Builds @metisai/sdk once before the packaging tests (the tarball, the browser bundle and the size budget all
 * use what would be published). Once per run, not per file: parallel builds would clean each other's dist.
 */
export default async function buildSdkOnce() {
  await run('npm', ['run', 'build', '-w', '@metisai/sdk'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
}
