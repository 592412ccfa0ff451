import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
// The sandbox package's Docker policy: no engine → skip; CI set and no engine → failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { runningAgent } from '../e2e/e2e-helpers.ts';
import { eventsOf, type Runtime, scripted, startRuntime, waitForState } from '../runtime/runtime-harness.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';

/**
 * A repository cloned into a Docker sandbox whose network is `none`: the server clones (the sandbox could not), copies
 * the clone into the conversation's volume as the sandbox user's files, and git inside the sandbox sees a clean tree.
 */
describe.skipIf(!hasDocker)('clone on create on the Docker driver', () => {
  let rt: Runtime;
  let git: GitServer;
  let privateGit: GitServer;
  let tip: string;
  const TOKEN = 'tok_docker_0123456789abcdef';
  beforeAll(async () => {
    rt = await startRuntime({ driver: 'docker' });
    git = await startGitServer();
    privateGit = await startGitServer({ auth: { password: TOKEN } });
    await privateGit.createRepository('private', { files: { 'README.md': '# private\n' } });
    expect((await rt.http.post('/api/v1/secrets', { name: 'GIT_TOKEN', value: TOKEN })).status).toBe(201);
    expect((await rt.http.post('/api/v1/secrets', { name: 'WRONG_TOKEN', value: 'tok_wrong' })).status).toBe(201);
    tip = await git.createRepository('app', {
      files: { 'README.md': '# app\n', 'src/run.sh': '#!/bin/sh\necho run\n' },
      executables: ['src/run.sh'],
      symlinks: { 'docs.md': 'README.md' },
    });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
    await git?.close();
    await privateGit?.close();
  });

  test('with network none, the sandbox gets the cloned commit, owned by uid 1000, a clean tree', async () => {
    const agentId = await runningAgent(rt, 'offline', { network: 'none' });
    const reply = await rt.http.post('/api/v1/conversations', { agent_id: agentId, repository: { url: git.urlOf('app') } });
    expect(reply.status).toBe(201);
    const id = reply.body.id as string;
    expect(await waitForState(rt.http, id, ['idle', 'error'], 90_000)).toMatchObject({ state: 'idle', repository: { status: 'ready', commit: tip } });
    expect((await rt.http.get(`/api/v1/conversations/${id}/changes`)).body).toMatchObject({ data: [] });

    rt.llm.setScript(
      scripted([
        () =>
          turns.toolCall('execute_bash', {
            command:
              'git rev-parse HEAD; git status --porcelain; echo status-end; stat -c "%u %A" src/run.sh; readlink docs.md; ' +
              'git ls-remote origin >/dev/null 2>&1 && echo reached || echo unreachable',
          }),
        () => turns.toolCall('finish', { message: 'done' }),
      ]),
    );
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'look' })).status).toBe(202);
    expect((await waitForState(rt.http, id, ['finished', 'error'], 90_000)).state).toBe('finished');
    const output = (await eventsOf(rt.http, id)).find((event) => event.type === 'observation')!.content as string;
    expect(output).toContain(`${tip}\nstatus-end\n1000 -rwxr-xr-x\nREADME.md\nunreachable`);
  }, 180_000);

  test('a private repository with its token; without it, with a refused token, a missing ref or repository, the setup ends clone_failed', async () => {
    const agentId = await runningAgent(rt, 'private', { network: 'none' });
    const create = (repository: Record<string, unknown>) => rt.http.post('/api/v1/conversations', { agent_id: agentId, repository });
    const cloned = await create({ url: privateGit.urlOf('private'), token_secret: 'GIT_TOKEN' });
    expect(await waitForState(rt.http, cloned.body.id, ['idle', 'error'], 90_000)).toMatchObject({ state: 'idle', repository: { status: 'ready' } });
    rt.llm.setScript(
      scripted([() => turns.toolCall('execute_bash', { command: 'cat README.md .git/config; env' }), () => turns.toolCall('finish', { message: 'done' })]),
    );
    expect((await rt.http.post(`/api/v1/conversations/${cloned.body.id}/messages`, { content: 'look' })).status).toBe(202);
    expect((await waitForState(rt.http, cloned.body.id, ['finished', 'error'], 90_000)).state).toBe('finished');
    const events = await eventsOf(rt.http, cloned.body.id);
    expect(events.find((event) => event.type === 'observation')!.content).toContain('# private');
    expect(JSON.stringify(events)).not.toContain(TOKEN);

    for (const [repository, code] of [
      [{ url: privateGit.urlOf('private') }, 'repository_auth_failed'],
      [{ url: privateGit.urlOf('private'), token_secret: 'WRONG_TOKEN' }, 'repository_auth_failed'],
      [{ url: git.urlOf('app'), ref: 'nope' }, 'repository_ref_not_found'],
      [{ url: git.urlOf('missing') }, 'repository_not_found'],
    ] as const) {
      const failed = await create(repository);
      expect(await waitForState(rt.http, failed.body.id, ['idle', 'error'], 90_000)).toMatchObject({ state: 'error' });
      expect((await eventsOf(rt.http, failed.body.id)).slice(-2)).toMatchObject([
        { type: 'error', code },
        { type: 'state', state: 'error', reason: 'clone_failed' },
      ]);
    }
  }, 180_000);
});
