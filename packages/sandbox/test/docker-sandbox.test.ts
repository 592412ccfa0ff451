import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerDriver, type Sandbox } from '../src/index.ts';
import { hasDocker, STOCK_IMAGE } from './helpers/docker-availability.ts';
import { editorSuite } from './suites/editor-suite.ts';
import { filesSuite } from './suites/files-suite.ts';
import { SUITE_SHELL_OPTIONS, sandboxSuite } from './suites/sandbox-suite.ts';

// The stock image, without our Dockerfile: any image with bash must work.
describe.skipIf(!hasDocker)(`docker driver (${STOCK_IMAGE})`, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await dockerDriver({ image: STOCK_IMAGE, owner: 'metisai-tests', shell: SUITE_SHELL_OPTIONS }).create();
  });
  afterAll(async () => {
    await sandbox?.remove();
  });

  describe('shell and files', () => sandboxSuite(() => sandbox));
  describe('editor', () => editorSuite(() => sandbox));
  describe('files: metadata, streams, moves, archives', () => filesSuite(() => sandbox));

  // Docker only: inside a container `kill -9 -1` reaches the sandbox's own processes alone (the local driver runs as
  // the host user, where it would reach every process of that user).
  test('listings keep working after the agent kills every process it can (the listing helper is started again)', async () => {
    const dir = `${sandbox.workdir}/after-kill`;
    await sandbox.files.mkdir(`${dir}/inner`);
    expect(await sandbox.files.walk(dir)).toHaveLength(1);
    await sandbox.shell.execute({ command: 'kill -9 -1', timeout: 30 });
    expect(await sandbox.files.walk(dir)).toEqual([expect.objectContaining({ path: 'inner', kind: 'directory' })]);
    expect(await sandbox.files.list(sandbox.workdir)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'after-kill' })]));
  });
});
