import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { Http, registerUser } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { WorkspaceClient } from '../workspace/workspace-client.ts';

test('close() ends a keep-alive connection once the response it was sending is over (not after keepAliveTimeout)', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'metis-shutdown-'));
  const server = await startTestServer({ env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: dataDir, ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' } });
  let closing: Promise<void> | undefined;
  try {
    const user = await registerUser(new Http(server.url), 'closer');
    const id = (await user.http.post('/api/v1/conversations', {})).body.id as string;
    const size = 8 * 1024 * 1024;
    expect((await new WorkspaceClient(user.http).upload(id, 'big.bin', Buffer.alloc(size, 7))).status).toBe(201);
    // A download on a keep-alive connection, read slowly: close() is called while its response is still being sent.
    const agent = new http.Agent({ keepAlive: true });
    const received = await new Promise<number>((resolve, reject) => {
      const url = new URL(`/api/v1/conversations/${id}/files/content?path=big.bin`, server.url);
      const request = http.get(url, { agent, headers: { authorization: `Bearer ${user.token}` } }, (response) => {
        expect(response.statusCode).toBe(200);
        response.pause();
        closing = server.close();
        let bytes = 0;
        setTimeout(() => {
          response.on('data', (chunk: Buffer) => (bytes += chunk.length));
          response.once('end', () => resolve(bytes));
          response.resume();
        }, 300);
      });
      request.once('error', reject);
    });
    expect(received).toBe(size);
    const started = Date.now();
    const outcome = await Promise.race([closing!.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 10_000))]);
    expect(outcome, `close() still waited ${Date.now() - started} ms after the last response ended`).toBe('closed');
    agent.destroy();
  } finally {
    await (closing ?? server.close());
    await rm(dataDir, { recursive: true, force: true });
  }
});
