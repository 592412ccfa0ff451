import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

  test("the editor takes /workspace/… for the sandbox's workspace, as in Docker, and never writes to the host's /workspace", async () => {
    const name = `alias-${randomUUID().slice(0, 8)}`;
    const said = await sandbox.editor.run({ command: 'create', path: `/workspace/${name}/a.txt`, file_text: 'hello\n' });
    expect(said).toMatchObject({ isError: false, output: expect.stringMatching(/created successfully/) });
    expect(await readFile(join(sandbox.workdir, name, 'a.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(`/workspace/${name}`)).toBe(false);
    expect((await sandbox.editor.run({ command: 'view', path: `/workspace/${name}/a.txt` })).output).toContain('hello');
  });
});
