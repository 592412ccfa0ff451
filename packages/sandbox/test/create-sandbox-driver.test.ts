import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createSandboxDriver, InvalidArgumentError } from '../src/index.ts';

test('createSandboxDriver builds the named driver from its section and the common settings', async () => {
  const rootDir = await mkdtemp(join(tmpdir(), 'metis-driver-config-'));
  try {
    const settings = { owner: 'config-test', onLog: () => undefined, docker: { image: 'debian:bookworm-slim' }, local: { rootDir } };
    // Building a driver contacts nothing: the Docker driver is made even where no engine answers.
    expect(createSandboxDriver({ driver: 'docker', ...settings })).toMatchObject({ name: 'docker', owner: 'config-test' });
    const local = createSandboxDriver({ driver: 'local', ...settings });
    expect(local).toMatchObject({ name: 'local', owner: 'config-test' });
    const sandbox = await local.create();
    expect(sandbox.workdir).toBe(join(rootDir, sandbox.id, 'workspace'));
    expect((await local.list())[0]).toMatchObject({ id: sandbox.id, owner: 'config-test' });
    await local.remove(sandbox.id);
    expect(() => createSandboxDriver({ driver: 'kubernetes' as 'local' })).toThrow(InvalidArgumentError);
  } finally {
    await rm(rootDir, { recursive: true, force: true });
  }
});

test("imageBuild: the Docker driver's own image (the package's, or any with a dockerfile); none for a stock image or the local driver", () => {
  const common = { onLog: () => undefined };
  expect(createSandboxDriver({ driver: 'docker', ...common }).imageBuild).toMatchObject({ image: 'metisai/sandbox:latest' });
  const own = createSandboxDriver({ driver: 'docker', ...common, docker: { image: 'acme/sandbox', dockerfile: '/srv/Dockerfile' } }).imageBuild!;
  expect(own.image).toBe('acme/sandbox:latest');
  expect([own.matches('acme/sandbox'), own.matches('acme/sandbox:latest'), own.matches('acme/sandbox:2')]).toEqual([true, true, false]);
  expect(createSandboxDriver({ driver: 'docker', ...common, docker: { image: 'python:3.12-slim' } }).imageBuild).toBeNull();
  expect(createSandboxDriver({ driver: 'local', ...common }).imageBuild).toBeNull();
});
