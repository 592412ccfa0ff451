import { afterAll, expect, test } from 'vitest';
import { ServerInfoSchema } from '@metisai/sdk/schemas';
import { VERSION } from '../../src/version.ts';
import { Http } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

const servers: ApiServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

test('GET /server-info is public and says what the server offers', async () => {
  const server = await startApiServer();
  servers.push(server);
  const reply = await new Http(server.url).get('/api/v1/server-info');
  expect(reply.status).toBe(200);
  expect(ServerInfoSchema.safeParse(reply.body).success).toBe(true);
  expect(reply.body).toEqual({
    version: VERSION,
    registration_open: true,
    llm_configured: false,
    upload_limit_bytes: 100 * 1024 * 1024,
    import_limit_bytes: 50 * 1024 * 1024,
    sandbox_driver: null,
    // Without SANDBOX_ALLOWED_IMAGES, the default image alone.
    sandbox_allowed_images: ['metisai/sandbox:latest'],
    public_url: null,
  });
});

test('it follows the configuration', async () => {
  const server = await startApiServer({
    env: {
      ALLOW_REGISTRATION: 'false',
      LLM_MODEL: 'gpt-x',
      LLM_API_KEY: 'sk-server',
      UPLOAD_LIMIT_BYTES: '1000',
      IMPORT_LIMIT_BYTES: '2048',
      SANDBOX_ALLOWED_IMAGES: 'python:*, metisai/sandbox:*',
      PUBLIC_URL: 'https://metis.example.com/',
    },
  });
  servers.push(server);
  expect((await new Http(server.url).get('/api/v1/server-info')).body).toMatchObject({
    public_url: 'https://metis.example.com',
    registration_open: false,
    llm_configured: true,
    upload_limit_bytes: 1000,
    import_limit_bytes: 2048,
    sandbox_allowed_images: ['python:*', 'metisai/sandbox:*'],
  });
  // A model alone, for OpenAI's endpoint without a key, is no LLM of the server's.
  const modelOnly = await startApiServer({ env: { LLM_MODEL: 'gpt-x' } });
  servers.push(modelOnly);
  expect((await new Http(modelOnly.url).get('/api/v1/server-info')).body.llm_configured).toBe(false);
  const ownEndpoint = await startApiServer({ env: { LLM_MODEL: 'llama', LLM_BASE_URL: 'http://127.0.0.1:11434/v1' } });
  servers.push(ownEndpoint);
  expect((await new Http(ownEndpoint.url).get('/api/v1/server-info')).body.llm_configured).toBe(true);
});

test('any page may read it (no credentials): a visitor’s <metis-chat> shows the upload limit', async () => {
  const server = await startApiServer();
  servers.push(server);
  const reply = await fetch(`${server.url}/api/v1/server-info`, { headers: { Origin: 'https://shop.example.com' } });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('access-control-allow-origin')).toBe('*');
  expect(reply.headers.get('access-control-allow-credentials')).toBeNull();
  // Other routes keep CORS_ORIGINS (none here): a page of another origin cannot read them.
  const other = await fetch(`${server.url}/api/v1/health`, { headers: { Origin: 'https://shop.example.com' } });
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});
