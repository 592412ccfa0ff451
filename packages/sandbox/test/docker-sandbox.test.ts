import { afterAll, beforeAll, describe } from 'vitest';
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
});
