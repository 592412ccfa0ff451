import { expect, test } from 'vitest';

// The package's runtime surface: the driver factories, the pool, the image policy (its check and the default image)
// and the errors. Internals (shell, files, the
// sandbox classes, image helpers) stay unexported; adding an export is a decision, so it changes this list.
const RUNTIME_EXPORTS = [
  'DEFAULT_SANDBOX_IMAGE',
  'DockerUnavailableError',
  'EDITOR_COMMANDS',
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
  'SandboxNetworkError',
  'SandboxNotFoundError',
  'SandboxNotRunningError',
  'SandboxPool',
  'ShellStartError',
  'SymlinkLoopError',
  'assertImageAllowed',
  'createSandboxDriver',
  'dockerDriver',
  'localDriver',
];

test('@metisai/sandbox exports exactly the driver factories, SandboxPool, the errors and the editor commands', async () => {
  const exported = await import('@metisai/sandbox');
  expect(Object.keys(exported).sort()).toEqual(RUNTIME_EXPORTS);
  for (const [name, value] of Object.entries(exported)) {
    if (name.endsWith('Error')) expect((value as { prototype: unknown }).prototype).toBeInstanceOf(name === 'SandboxError' ? Error : exported.SandboxError);
  }
});
