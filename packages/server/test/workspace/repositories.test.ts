import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { createLogger } from '../../src/logger.ts';
import { runningAgent } from '../e2e/e2e-helpers.ts';
import { eventsOf, type Runtime, scripted, startRuntime, waitForState } from '../runtime/runtime-harness.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { eventually } from '../support/http.ts';
import { tarGzEntries, WorkspaceClient } from './workspace-client.ts';

/**
 * Conversations started from a git repository (issue 13), on a whole server with the local driver: the clone runs on
 * the server (isomorphic-git through the egress guard) against a real git smart-HTTP server (`git http-backend`) on
 * `localhost`; nothing is stubbed. Docker: repositories-docker.test.ts.
 */
const TOKEN = `tok_${randomBytes(12).toString('hex')}`;
const ENDED = ['idle', 'finished', 'error', 'stopped'];

let rt: Runtime;
let ws: WorkspaceClient;
let git: GitServer;
let privateGit: GitServer;
/** Every log line the server wrote (level debug), to look for the token in. */
let logs = '';
let tip: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  rt = await startRuntime({ logger: createLogger('debug', sink) });
  ws = new WorkspaceClient(rt.http);
  git = await startGitServer();
  privateGit = await startGitServer({ auth: { password: TOKEN } });
  tip = await git.createRepository('app', {
    files: { 'README.md': '# app\n', 'src/run.sh': '#!/bin/sh\necho run\n', 'AGENTS.md': 'Run the tests with `make check`.\n' },
    executables: ['src/run.sh'],
    symlinks: { 'docs.md': 'README.md' },
    earlierCommits: 3,
    branches: { feature: { 'feature.txt': 'a feature\n' } },
    tags: ['v1.0'],
  });
  await privateGit.createRepository('secret-app', { files: { 'README.md': '# private\n' } });
  await git.createEmptyRepository('empty');
  await git.createRepository('headless', { files: { 'README.md': '# headless\n' }, head: 'gone' });
  expect((await rt.http.post('/api/v1/secrets', { name: 'GIT_TOKEN', value: TOKEN })).status).toBe(201);
  expect((await rt.http.post('/api/v1/secrets', { name: 'WRONG_TOKEN', value: 'not-the-token' })).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await rt?.close();
  await git?.close();
  await privateGit?.close();
});

const create = (repository: Record<string, unknown>, extra: Record<string, unknown> = {}) => rt.http.post('/api/v1/conversations', { repository, ...extra });
const settled = (id: string) => waitForState(rt.http, id, ENDED, 60_000);

async function dbText(sql: string, params: unknown[]): Promise<string> {
  const client = new pg.Client({ connectionString: rt.server.databaseUrl });
  await client.connect();
  try {
    return JSON.stringify((await client.query(sql, params)).rows);
  } finally {
    await client.end();
  }
}

describe('clone on create', () => {
  test('the repository is cloned into the workspace (shallow), its commit is the baseline, and the agent works on it', async () => {
    const url = git.urlOf('app');
    const reply = await create({ url });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ state: 'running', repository: { url, ref: null, depth: 1, commit: null, status: 'cloning' } });
    const id = reply.body.id as string;

    const done = await settled(id);
    expect(done).toMatchObject({ state: 'idle', repository: { url, status: 'ready', commit: tip } });
    const events = await eventsOf(rt.http, id);
    expect(events[0]).toMatchObject({ type: 'workspace', phase: 'cloning', repository: { url, status: 'cloning' } });
    expect(events[1]).toMatchObject({ type: 'state', state: 'running', reason: 'waiting_for_workspace' });
    const ready = events.find((event) => event.type === 'workspace' && event.phase === 'ready')!;
    expect(ready).toMatchObject({ repository: { url, commit: tip, status: 'ready' } });
    expect(ready.received_objects).toBeGreaterThan(0);
    expect(ready.received_bytes).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'idle', reason: 'workspace_ready' });

    const names = (await ws.list(id)).body.data.map((entry: { name: string }) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['.git', 'AGENTS.md', 'README.md', 'docs.md', 'src']));
    expect(names).not.toContain('feature.txt');
    const changes = (await rt.http.get(`/api/v1/conversations/${id}/changes`)).body;
    expect(changes.baseline).not.toBeNull();
    expect(changes.data).toEqual([]);

    rt.llm.setScript(
      scripted([
        () =>
          turns.toolCall('execute_bash', {
            command:
              'git rev-parse HEAD; git rev-list --count HEAD; git status --porcelain; echo "status-end"; git config --get remote.origin.url; ' +
              'stat -c %A src/run.sh; readlink docs.md; echo changed >> README.md',
          }),
        () => turns.toolCall('finish', { message: 'done' }),
      ]),
    );
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'look around' })).status).toBe(202);
    expect((await settled(id)).state).toBe('finished');
    const output = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!.content as string;
    // The cloned commit, one commit deep, a clean tree (modes and links as git checked them out), the URL as given.
    expect(output).toContain(`${tip}\n1\nstatus-end\n${url}\n-rwxr-xr-x\nREADME.md`);
    const after = (await rt.http.get(`/api/v1/conversations/${id}/changes`)).body;
    expect(after.data).toEqual([expect.objectContaining({ path: 'README.md', status: 'modified' })]);

    // The clone is a snapshot point: a fork at its `ready` event has the files as cloned (README.md not yet changed).
    const fork = await rt.http.post(`/api/v1/conversations/${id}/fork`, { at_seq: ready.seq });
    expect(fork.status).toBe(201);
    expect(fork.body).toMatchObject({ forked_from: { conversation_id: id, seq: ready.seq }, repository: { url, status: 'ready', commit: tip } });
    const readme = (await ws.download(id, 'README.md')).text;
    expect(readme.endsWith('changed\n')).toBe(true);
    expect((await ws.download(fork.body.id, 'README.md')).text).toBe(readme.slice(0, -'changed\n'.length));
    expect((await ws.list(fork.body.id)).body.data.map((entry: { name: string }) => entry.name)).toEqual(expect.arrayContaining(['.git', 'src']));
  });

  test('a branch or a tag as ref, and depth', async () => {
    const branch = await create({ url: git.urlOf('app'), ref: 'feature', depth: 2 });
    expect(branch.status).toBe(201);
    const onBranch = await settled(branch.body.id);
    expect(onBranch).toMatchObject({ state: 'idle', repository: { ref: 'feature', depth: 2, status: 'ready' } });
    expect(onBranch.repository.commit).not.toBe(tip);
    expect((await ws.download(branch.body.id, 'feature.txt')).text).toBe('a feature\n');
    // Two commits deep: the shallow boundary is the parent of the tip.
    const shallow = (await ws.download(branch.body.id, '.git/shallow')).text.trim();
    expect(shallow).toBe(tip);

    const tag = await create({ url: git.urlOf('app'), ref: 'v1.0' });
    expect(await settled(tag.body.id)).toMatchObject({ state: 'idle', repository: { ref: 'v1.0', commit: tip, status: 'ready' } });
    expect((await ws.download(tag.body.id, 'feature.txt')).status).toBe(404);
  });

  test('a message sent while the clone runs waits for it; the repository instructions join the system prompt after the agent’s', async () => {
    const agentId = await runningAgent(rt, 'with-prompt', { system_prompt: 'AGENT-OWN-PROMPT' });
    const release = git.hold();
    let id: string;
    try {
      const reply = await create({ url: git.urlOf('app') }, { agent_id: agentId });
      expect(reply.status).toBe(201);
      id = reply.body.id;
      rt.llm.setScript(scripted([() => turns.text('seen')]));
      const requestsBefore = rt.llm.requests.length;
      const message = await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'what does the repository say?' });
      expect(message.status).toBe(202);
      expect((await rt.http.get(`/api/v1/conversations/${id}`)).body).toMatchObject({ state: 'running', repository: { status: 'cloning' } });
      expect(rt.llm.requests.length).toBe(requestsBefore);
    } finally {
      release();
    }
    expect((await settled(id)).state).toBe('idle');
    const system = rt.llm.requests.at(-1)!.body.messages[0]!.content as string;
    expect(system.indexOf('AGENT-OWN-PROMPT')).toBeGreaterThan(0);
    expect(system.indexOf('# AGENTS.md')).toBeGreaterThan(system.indexOf('AGENT-OWN-PROMPT'));
    expect(system).toContain('Run the tests with `make check`.');
    const events = await eventsOf(rt.http, id);
    const order = events.map((event) => `${event.type}:${event.phase ?? event.role ?? event.state}`);
    expect(order.indexOf('message:user')).toBeLessThan(order.indexOf('workspace:ready'));
    expect(order.indexOf('workspace:instructions')).toBeGreaterThan(order.indexOf('workspace:ready'));
    expect(events.find((event) => event.phase === 'instructions')!.instructions).toEqual([
      { path: 'AGENTS.md', size: 33, truncated: false, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  test('a private repository with token_secret: the token reaches the git server and nothing else', async () => {
    const url = privateGit.urlOf('secret-app');
    const reply = await create({ url, token_secret: 'GIT_TOKEN' });
    expect(reply.status).toBe(201);
    expect(JSON.stringify(reply.body)).not.toContain('GIT_TOKEN');
    const id = reply.body.id as string;
    expect(await settled(id)).toMatchObject({ state: 'idle', repository: { url, status: 'ready' } });
    expect(privateGit.requests.some((request) => request.hasAuth)).toBe(true);

    rt.llm.setScript(
      scripted([
        () =>
          turns.toolCall('execute_bash', { command: 'cat .git/config; git config --list; env; grep -r . .git --binary-files=without-match | head -c 20000' }),
        () => turns.toolCall('finish', { message: 'done' }),
      ]),
    );
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'show the config' })).status).toBe(202);
    expect((await settled(id)).state).toBe('finished');
    const events = await eventsOf(rt.http, id);
    expect(events.find((event) => event.type === 'observation')!.content).toContain(`url = ${url}`);

    const config = await ws.download(id, '.git/config');
    expect(config.text).toContain(`url = ${url}`);
    const archive = await tarGzEntries((await ws.fetchBytes(`/conversations/${id}/archive`)).bytes);
    const everything = [
      JSON.stringify(events),
      JSON.stringify((await rt.http.get(`/api/v1/conversations/${id}`)).body),
      JSON.stringify(rt.llm.requests.map((request) => request.body)),
      await dbText('select c.*, (select json_agg(e) from events e where e.conversation_id = c.id) as events from conversations c where c.id = $1', [id]),
      [...archive.values()].join('\n'),
      logs,
    ];
    for (const text of everything) expect(text).not.toContain(TOKEN);
    expect(logs.length).toBeGreaterThan(0);
  });

  test.each([
    ['a private repository without a token', () => ({ url: privateGit.urlOf('secret-app') }), 'repository_auth_failed', /asks for credentials/],
    ['a refused token', () => ({ url: privateGit.urlOf('secret-app'), token_secret: 'WRONG_TOKEN' }), 'repository_auth_failed', /refused the token/],
    ['a missing repository', () => ({ url: git.urlOf('nothing-here') }), 'repository_not_found', /has no repository/],
    ['a missing ref', () => ({ url: git.urlOf('app'), ref: 'no-such-branch' }), 'repository_ref_not_found', /no branch or tag "no-such-branch"/],
    ['an empty repository', () => ({ url: git.urlOf('empty') }), 'repository_ref_not_found', /no default branch.*empty/],
    ['a repository whose HEAD names no branch', () => ({ url: git.urlOf('headless') }), 'repository_ref_not_found', /no default branch/],
  ])('%s: the setup ends error / clone_failed with the error event', async (_what, repository, code, message) => {
    const reply = await create(repository());
    expect(reply.status).toBe(201);
    const id = reply.body.id as string;
    expect(await settled(id)).toMatchObject({ state: 'error', repository: { status: 'failed', commit: null } });
    const events = await eventsOf(rt.http, id);
    expect(events.slice(-3)).toMatchObject([
      { type: 'workspace', phase: 'failed', repository: { status: 'failed' } },
      { type: 'error', code, message: expect.stringMatching(message) },
      { type: 'state', state: 'error', reason: 'clone_failed' },
    ]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  test('a slow clone shows its progress as cloning events, at most one every two seconds; the log exports and imports', async () => {
    await git.createRepository('slow', { files: { 'data.txt': randomBytes(400 * 1024).toString('hex') } });
    git.slowDown(400);
    let id: string;
    try {
      id = (await create({ url: git.urlOf('slow') })).body.id;
      expect(await settled(id)).toMatchObject({ state: 'idle', repository: { status: 'ready' } });
    } finally {
      git.slowDown(0);
    }
    const events = await eventsOf(rt.http, id);
    const cloning = events.filter((event) => event.phase === 'cloning');
    expect(cloning.length).toBeGreaterThan(1);
    const progress = cloning.slice(1);
    expect(progress[0]!.received_bytes).toBeGreaterThan(0);
    for (const [index, event] of progress.entries()) {
      if (index > 0) expect(Date.parse(event.created_at) - Date.parse(progress[index - 1]!.created_at)).toBeGreaterThanOrEqual(1900);
    }
    const ready = events.find((event) => event.phase === 'ready')!;
    expect(ready.seq).toBeGreaterThan(progress.at(-1)!.seq);
    expect(ready.received_bytes).toBeGreaterThanOrEqual(progress.at(-1)!.received_bytes);

    const exported = (await rt.http.get(`/api/v1/conversations/${id}/export`)).body;
    const imported = await rt.http.post('/api/v1/conversations/import', exported);
    expect(imported.status).toBe(201);
    const copy = await eventsOf(rt.http, imported.body.id);
    expect(copy.filter((event) => event.type === 'workspace').map((event) => [event.phase, event.repository?.commit ?? null])).toEqual(
      events.filter((event) => event.type === 'workspace').map((event) => [event.phase, event.repository?.commit ?? null]),
    );
  });

  test('stop cancels a running clone', async () => {
    const release = git.hold();
    try {
      const before = git.requests.length;
      const reply = await create({ url: git.urlOf('app') });
      const id = reply.body.id as string;
      await eventually(async () => git.requests.length > before, 10_000);
      expect((await rt.http.post(`/api/v1/conversations/${id}/stop`)).status).toBe(202);
      expect(await settled(id)).toMatchObject({ state: 'stopped', repository: { status: 'failed' } });
      const events = await eventsOf(rt.http, id);
      expect(events.slice(-2)).toMatchObject([
        { type: 'workspace', phase: 'failed', message: 'The clone was stopped.' },
        { type: 'state', state: 'stopped', reason: 'user_stop' },
      ]);
    } finally {
      release();
    }
  });

  test('uploads are workspace events; while the clone runs the workspace takes no writes', async () => {
    const release = git.hold();
    let id: string;
    try {
      id = (await create({ url: git.urlOf('app') })).body.id;
      const busy = await ws.upload(id, 'notes.txt', 'early\n');
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe('conversation_busy');
    } finally {
      release();
    }
    await settled(id);
    expect((await ws.upload(id, 'data/report.csv', 'a,b\n')).status).toBe(201);
    expect((await eventsOf(rt.http, id)).at(-1)).toMatchObject({
      type: 'workspace',
      phase: 'uploaded',
      files: [{ path: 'data/report.csv', size: 4, type: 'text/csv' }],
    });
  });
  test('an upload made as soon as the conversation says ready is a change, never part of the cloned baseline', async () => {
    const id = (await create({ url: git.urlOf('app') })).body.id as string;
    // A client polling the conversation uploads the moment its repository says `ready`.
    await eventually(async () => (await rt.http.get(`/api/v1/conversations/${id}`)).body.repository.status === 'ready', 60_000);
    expect((await ws.upload(id, 'late.txt', 'late\n')).status).toBe(201);
    await settled(id);
    const changes = (await rt.http.get(`/api/v1/conversations/${id}/changes`)).body;
    expect(changes.data).toEqual([expect.objectContaining({ path: 'late.txt', status: 'added' })]);
  });
});

describe('bad repositories are refused before anything is created', () => {
  test.each([
    [{ url: 'https://user:secret@example.com/a.git' }, 'repository.url', /credentials/],
    [{ url: 'ssh://git@example.com/a.git' }, 'repository.url', /https/],
    [{ url: 'git@example.com:a.git' }, 'repository.url', /./],
    [{ url: 'https://example.com/a.git?x=1' }, 'repository.url', /query/],
    [{ url: 'http://example.com/a.git' }, 'repository.url', /https/],
    [{ url: 'https://example.com/a.git', token_secret: 'NO_SUCH_SECRET' }, 'repository.token_secret', /no secret/],
    [{ url: 'https://example.com/a.git', depth: 0 }, 'repository.depth', /./],
    [{ url: 'https://example.com/a.git', depth: 2 ** 31 }, 'repository.depth', /<=2147483647/],
  ])('%j → 400 naming %s', async (repository, field, message) => {
    const before = (await rt.http.get('/api/v1/conversations?limit=100')).body.data.length;
    const reply = await create(repository);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: field, message: expect.stringMatching(message) })]));
    expect(JSON.stringify(reply.body)).not.toContain('secret@');
    expect((await rt.http.get('/api/v1/conversations?limit=100')).body.data.length).toBe(before);
  });
});

describe('repository instructions and attachments', () => {
  test('instructions are re-read at every run, capped at 16 KiB per file; a change is an event', async () => {
    const long = `${'x'.repeat(16 * 1024 - 1)}é and more past the cap\n`;
    await git.createRepository('guided', { files: { 'AGENTS.md': 'Use tabs.\n', '.openhands/microagents/repo.md': long } });
    const id = (await create({ url: git.urlOf('guided') })).body.id as string;
    await settled(id);
    const systemOf = () => rt.llm.requests.at(-1)!.body.messages[0]!.content as string;
    const instructionEvents = async () => (await eventsOf(rt.http, id)).filter((event) => event.phase === 'instructions');

    rt.llm.setScript(scripted([() => turns.text('one')]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'first' });
    await waitForState(rt.http, id, ['idle'], 20_000);
    let system = systemOf();
    expect(system).toContain('Use tabs.');
    expect(system).toContain('# .openhands/microagents/repo.md');
    expect(system).not.toContain('past the cap');
    expect(system).toContain('[… truncated: .openhands/microagents/repo.md is');
    expect(system).toContain(`${'x'.repeat(16 * 1024 - 1)}\n[… truncated`); // the cut é is left out whole
    expect(system).not.toContain('\uFFFD');
    expect(await instructionEvents()).toHaveLength(1);
    expect((await instructionEvents())[0]!.instructions).toEqual([
      expect.objectContaining({ path: 'AGENTS.md', truncated: false }),
      expect.objectContaining({ path: '.openhands/microagents/repo.md', size: Buffer.byteLength(long), truncated: true }),
    ]);

    // Unchanged: no new event.
    rt.llm.setScript(scripted([() => turns.text('two')]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'second' });
    await waitForState(rt.http, id, ['idle'], 20_000);
    expect(await instructionEvents()).toHaveLength(1);

    // Changed between runs: read again, and told.
    expect((await ws.upload(id, 'AGENTS.md', 'Use spaces now.\n')).status).toBe(200);
    rt.llm.setScript(scripted([() => turns.text('three')]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'third' });
    await eventually(async () => (await instructionEvents()).length === 2, 20_000);
    await waitForState(rt.http, id, ['idle'], 20_000);
    system = systemOf();
    expect(system).toContain('Use spaces now.');
    expect(system).not.toContain('Use tabs.');
    expect((await instructionEvents())[1]!.instructions[0]).toMatchObject({ path: 'AGENTS.md', size: 16 });
  });

  test('an instruction file that links out of the workspace is not read', async () => {
    await git.createRepository('escaping', { files: { 'README.md': 'x\n' }, symlinks: { 'AGENTS.md': '/etc/passwd' } });
    const id = (await create({ url: git.urlOf('escaping') })).body.id as string;
    expect((await settled(id)).state).toBe('idle');
    rt.llm.setScript(scripted([() => turns.text('ok')]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'hi' });
    await waitForState(rt.http, id, ['idle'], 20_000);
    const system = rt.llm.requests.at(-1)!.body.messages[0]!.content as string;
    expect(system).not.toContain('root:');
    expect(system).not.toContain('REPOSITORY_INSTRUCTIONS');
    expect((await eventsOf(rt.http, id)).filter((event) => event.phase === 'instructions')).toEqual([]);
  });

  test('attachments: listed on the message event and named to the model; a missing one is a 400 naming it', async () => {
    const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
    expect((await ws.upload(id, 'report.pdf', Buffer.alloc(2048, 1))).status).toBe(201);
    expect((await ws.upload(id, 'notes/todo.md', '- one\n')).status).toBe(201);

    const missing = await rt.http.post(`/api/v1/conversations/${id}/messages`, {
      content: 'read these',
      attachments: [{ path: 'report.pdf' }, { path: 'nope.txt' }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([expect.objectContaining({ path: 'attachments.1.path' })]);

    rt.llm.setScript(scripted([() => turns.text('got them')]));
    const sent = await rt.http.post(`/api/v1/conversations/${id}/messages`, {
      content: 'read these',
      attachments: [{ path: 'report.pdf' }, { path: '/workspace/notes/todo.md' }],
    });
    expect(sent.status).toBe(202);
    expect(sent.body.attachments).toEqual([
      { path: 'report.pdf', size: 2048, type: 'application/pdf' },
      { path: 'notes/todo.md', size: 6, type: 'text/markdown' },
    ]);
    await waitForState(rt.http, id, ['idle'], 20_000);
    const user = rt.llm.requests.at(-1)!.body.messages.find((message) => message.role === 'user')!.content as string;
    expect(user).toMatch(
      /^read these\n\n\[attached: \/\S+\/report\.pdf, 2 KB, application\/pdf\]\n\[attached: \/\S+\/notes\/todo\.md, 6 bytes, text\/markdown\]$/,
    );
    const uploaded = (await eventsOf(rt.http, id)).filter((event) => event.phase === 'uploaded');
    expect(uploaded.map((event) => event.files[0].path)).toEqual(['report.pdf', 'notes/todo.md']);
  });
});
