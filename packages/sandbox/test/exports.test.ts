import { expect, test } from 'vitest';

// The package's runtime surface: the driver factories, the pool and the errors. Internals (shell, files, the
// sandbox classes, image helpers) stay unexported; adding an export is a decision, so it changes this list.
const RUNTIME_EXPORTS = [
  'DockerUnavailableError',
  'FileExistsError',
  'ImageBuildError',
  'ImageNotAllowedError',
  'ImageNotFoundError',
  'ImageWithoutBashError',
  'InvalidArgumentError',
  'IsDirectoryError',
  'NotDirectoryError',
  'SandboxError',
  'SandboxFileNotFoundError',
  'SandboxNotFoundError',
  'SandboxNotRunningError',
  'SandboxPool',
  'ShellStartError',
  'createSandboxDriver',
  'dockerDriver',
  'localDriver',
];

test('@metisai/sandbox exports exactly the driver factories, SandboxPool and the errors', async () => {
  const exported = await import('@metisai/sandbox');
  expect(Object.keys(exported).sort()).toEqual(RUNTIME_EXPORTS);
  for (const [name, value] of Object.entries(exported)) {
    if (name.endsWith('Error')) expect((value as { prototype: unknown }).prototype).toBeInstanceOf(name === 'SandboxError' ? Error : exported.SandboxError);
  }
});
