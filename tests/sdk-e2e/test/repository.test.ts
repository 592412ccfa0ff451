import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { turns } from '@metisai/scripted-llm';
import { BadRequestError, type ConversationStreamEvent, type WorkspaceEvent } from '@metisai/sdk';
import { Files } from '@metisai/sdk/files';
import { startGitServer, type GitServer } from '../../../packages/server/test/support/git-server.ts';
import { eventually, startStack, type Stack } from './support/harness.ts';

/** Repositories and attachments through the SDK (issue 13), against a real server and a real git smart-HTTP server. */
let stack: Stack;
let git: GitServer;
let tip: string;
beforeAll(async () => {
  stack = await startStack();
  git = await startGitServer();
  tip = await git.createRepository('demo', { files: { 'README.md': '# demo\n', 'AGENTS.md': 'Answer in haiku.\n' } });
});
afterAll(async () => {
  await stack?.close();
  await git?.close();
});

describe('conversations.create({ repository }), workspace events, attachments', () => {
  test('the clone shows as typed workspace events; run() sends attachments the model is told about', async () => {
    const { client } = await stack.user('repo');
    const conversation = await client.conversations.create({ repository: { url: git.urlOf('demo') } });
    expect(conversation).toMatchObject({ state: 'running', repository: { url: git.urlOf('demo'), ref: null, depth: 1, status: 'cloning' } });
    const ready = await eventually(async () => {
      const current = await client.conversations.get(conversation.id);
      return current.state === 'idle' ? current : null;
    });
    expect(ready.repository).toMatchObject({ status: 'ready', commit: tip });
    const events = (await client.conversations.events.list(conversation.id)).data;
    const workspace = events.filter((event): event is WorkspaceEvent => event.type === 'workspace');
    expect(workspace.map((event) => event.phase)).toEqual(['cloning', 'ready']);
    expect(workspace[1]!.repository).toMatchObject({ commit: tip });

    await new Files(client).upload(conversation.id, 'brief.txt', new TextEncoder().encode('the brief\n'));
    stack.llm.setScript([turns.text('Read.')]);
    const streamed: ConversationStreamEvent[] = [];
    for await (const event of client.conversations.run(conversation.id, 'Read the brief', { attachments: [{ path: 'brief.txt' }] })) streamed.push(event);
    expect(streamed[0]).toMatchObject({ type: 'message', role: 'user', attachments: [{ path: 'brief.txt', size: 10, type: 'text/plain' }] });
    const request = stack.llm.requests.at(-1)!.body;
    expect(request.messages[0]!.content).toContain('Answer in haiku.');
    expect(request.messages.at(-1)!.content).toMatch(/\[attached: \S+\/brief\.txt, 10 bytes, text\/plain\]$/);

    const refused = await client.conversations.messages
      .create(conversation.id, { content: 'x', attachments: [{ path: 'missing.txt' }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).details).toEqual([expect.objectContaining({ path: 'attachments.0.path' })]);
  });

  test('a URL with credentials is refused before it is sent anywhere', async () => {
    const { client } = await stack.user('repo-bad');
    const error = await client.conversations.create({ repository: { url: 'https://me:tok@example.com/a.git' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).details).toEqual([expect.objectContaining({ path: 'repository.url' })]);
  });
});
