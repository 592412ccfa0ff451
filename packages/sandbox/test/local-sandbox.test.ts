import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { localDriver, type Sandbox } from '../src/index.ts';
import { editorSuite } from './suites/editor-suite.ts';
import { filesSuite } from './suites/files-suite.ts';
import { SUITE_SHELL_OPTIONS, sandboxSuite } from './suites/sandbox-suite.ts';

describe('local driver', () => {
  let rootDir: string;
  let sandbox: Sandbox;
  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'metis-local-'));
    sandbox = await localDriver({ rootDir, owner: 'metisai-tests', shell: SUITE_SHELL_OPTIONS, onLog: () => undefined }).create();
  });
  afterAll(async () => {
    await sandbox?.remove();
    await rm(rootDir, { recursive: true, force: true });
  });

  describe('shell and files', () => sandboxSuite(() => sandbox));
  describe('editor', () => editorSuite(() => sandbox));
  describe('files: metadata, streams, moves, archives', () => filesSuite(() => sandbox));
});
