import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { Http } from '../support/http.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer();
  http = new Http(server.url);
});
afterAll(() => server.close());

describe('health', () => {
  test('GET /healthz is 200 with the version, no credentials needed', async () => {
    const reply = await http.get('/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', version: VERSION });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('GET /readyz is 200 with the database checked', async () => {
    const reply = await http.get('/readyz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', version: VERSION, checks: { database: 'ok' } });
  });
});

describe('OpenAPI', () => {
  type Operation = {
    parameters: { name: string; in: string; required?: boolean; schema?: object }[];
    requestBody?: { content: Record<string, { schema: { properties: Record<string, any>; required?: string[]; type?: string; format?: string } }> };
    responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }>; headers?: Record<string, unknown> }>;
    security?: unknown[];
  };
  let doc: { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>>; components: any };
  beforeAll(async () => {
    const reply = await http.get('/api/v1/openapi.json');
    expect(reply.status).toBe(200);
    doc = reply.body;
  });

  const ROUTES = [
    'post /auth/register',
    'post /auth/login',
    'post /auth/logout',
    'get /auth/profile',
    'delete /auth/profile',
    'put /auth/password',
    'get /auth/sessions',
    'delete /auth/sessions',
    'delete /auth/sessions/{id}',
    'get /agents',
    'post /agents',
    'get /agents/{id}',
    'put /agents/{id}',
    'delete /agents/{id}',
    'post /agents/{id}/start',
    'post /agents/{id}/stop',
    'get /conversations',
    'post /conversations',
    'get /conversations/{id}',
    'put /conversations/{id}',
    'delete /conversations/{id}',
    'get /conversations/{id}/messages',
    'post /conversations/{id}/messages',
    'get /conversations/{id}/events',
    'post /conversations/{id}/stop',
    'post /conversations/{id}/confirm',
    'post /agents/{id}/llm-test',
    'post /settings/llm-test',
    'get /settings',
    'put /settings',
    'get /secrets',
    'post /secrets',
    'put /secrets/{id}',
    'delete /secrets/{id}',
    'get /usage',
    'get /approvals',
    'get /api-keys',
    'post /api-keys',
    'delete /api-keys/{id}',
    'get /server-info',
    'get /conversations/{id}/export',
    'post /conversations/import',
    'post /conversations/{id}/fork',
    'delete /conversations/{id}/snapshots',
    'get /conversations/{id}/files',
    'delete /conversations/{id}/files',
    'get /conversations/{id}/files/content',
    'put /conversations/{id}/files/content',
    'post /conversations/{id}/files/move',
    'post /conversations/{id}/files/mkdir',
    'post /conversations/{id}/files/download-url',
    'get /conversations/{id}/archive',
    'get /conversations/{id}/changes',
    'get /downloads',
    'get /agents/{id}/publishable-keys',
    'post /agents/{id}/publishable-keys',
    'get /agents/{id}/publishable-keys/{key_id}',
    'put /agents/{id}/publishable-keys/{key_id}',
    'post /agents/{id}/publishable-keys/{key_id}/rotate',
    'delete /agents/{id}/publishable-keys/{key_id}',
    'post /agents/{id}/embed-tokens',
    'post /embed/sessions',
    'get /embed/conversations',
    'post /embed/conversations',
    'get /embed/conversations/{id}',
    'delete /embed/conversations/{id}',
    'get /embed/conversations/{id}/messages',
    'post /embed/conversations/{id}/messages',
    'get /embed/conversations/{id}/events',
    'post /embed/conversations/{id}/stop',
    'put /embed/conversations/{id}/files/content',
    'get /embed/conversations/{id}/changes',
  ];

  test('is OpenAPI 3.1 with the server version', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.version).toBe(VERSION);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test('has a path for every route, with {id} parameters', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path.replace(/^\/api\/v1/, '')}`),
    );
    expect(documented.sort()).toEqual([...ROUTES].sort());
    for (const route of ROUTES.filter((r) => r.includes('{id}'))) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = doc.paths[`/api/v1${path}`]![method]!;
      expect(operation.parameters, route).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
      expect(Object.keys(operation.responses), route).toContain('404');
    }
  });

  test('every authenticated operation names its scope, in x-required-scope and in its description', () => {
    const scopes: Record<string, string> = {};
    for (const route of ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = doc.paths[`/api/v1${path}`]![method]! as Record<string, any>;
      // Public operations (register, login, a visitor session, server-info, signed downloads) declare no credentials and no scope.
      if (
        ['post /auth/register', 'post /auth/login', 'post /embed/sessions'].includes(route) ||
        (Array.isArray(operation.security) && operation.security.length === 0)
      ) {
        expect(operation['x-required-scope'], route).toBeUndefined();
        continue;
      }
      expect(['read', 'run', 'manage', 'embed:mint', 'session', 'visitor'], route).toContain(operation['x-required-scope']);
      expect(operation.description, route).toMatch(operation['x-required-scope'] === 'visitor' ? /^Needs a visitor token/ : /^Needs a session/);
      scopes[route] = operation['x-required-scope'];
    }
    expect(scopes).toMatchObject({
      'get /agents': 'read',
      'post /agents': 'manage',
      'post /agents/{id}/llm-test': 'read',
      'post /conversations/{id}/messages': 'run',
      'post /conversations/{id}/confirm': 'run',
      'put /settings': 'manage',
      'post /secrets': 'manage',
      'post /api-keys': 'session',
      'get /auth/sessions': 'session',
      'delete /auth/profile': 'session',
      'put /auth/password': 'session',
      'post /agents/{id}/publishable-keys': 'manage',
      'post /agents/{id}/embed-tokens': 'embed:mint',
      'post /embed/conversations/{id}/messages': 'visitor',
    });
  });

  test('request bodies have schemas', () => {
    const body = (route: string) => {
      const [method, path] = route.split(' ') as [string, string];
      return doc.paths[`/api/v1${path}`]![method]!.requestBody?.content['application/json']?.schema;
    };
    const agent = body('post /agents')!;
    expect(agent.required).toContain('name');
    expect(agent.properties.config.properties).toHaveProperty('max_iterations');
    expect(agent.properties.config.properties.max_iterations).toMatchObject({ type: 'integer', minimum: 1 });
    expect(agent.properties.config.additionalProperties).toBe(false);
    expect(body('post /auth/register')!.properties).toHaveProperty('password');
    expect(body('post /conversations/{id}/messages')!.required).toEqual(['content']);
    expect(body('put /settings')!.properties).toHaveProperty('llm_api_key');
    expect(body('post /secrets')!.properties.name).toHaveProperty('pattern');
    for (const route of ROUTES.filter((r) => r.startsWith('post ') || r.startsWith('put '))) {
      if (route === 'put /conversations/{id}/files/content' || route === 'put /embed/conversations/{id}/files/content') continue;
      if (
        [
          'post /auth/logout',
          'post /agents/{id}/start',
          'post /agents/{id}/stop',
          'post /conversations/{id}/stop',
          'post /agents/{id}/llm-test',
          'post /agents/{id}/publishable-keys/{key_id}/rotate',
          'post /embed/conversations/{id}/stop',
        ].includes(route)
      )
        continue;
      expect(body(route), route).toBeDefined();
    }
  });

  test('binary bodies are described as such: the upload takes bytes, downloads answer bytes with their headers', () => {
    const upload = doc.paths['/api/v1/conversations/{id}/files/content']!;
    expect(upload.put!.requestBody!.content['application/octet-stream']!.schema).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(upload.put!.responses)).toEqual(expect.arrayContaining(['200', '201', '411', '413']));
    expect(upload.get!.responses['200']!.content!['application/octet-stream']!.schema).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(upload.get!.responses['200']!.headers!)).toEqual(expect.arrayContaining(['Content-Disposition', 'Content-Security-Policy']));
    expect(doc.paths['/api/v1/conversations/{id}/archive']!.get!.responses['200']!.content!['application/gzip']).toBeDefined();
    expect(doc.paths['/api/v1/server-info']!.get!.security).toEqual([]);
    expect(doc.paths['/api/v1/downloads']!.get!.security).toEqual([]);
    expect(doc.paths['/api/v1/conversations/{id}/files']!.get!.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['path', 'after', 'limit']));
  });

  test('list endpoints document their query parameters', () => {
    for (const list of ['/agents', '/conversations', '/secrets', '/api-keys']) {
      const names = doc.paths[`/api/v1${list}`]!.get!.parameters.map((p) => p.name);
      expect(names, list).toEqual(expect.arrayContaining(['limit', 'after']));
    }
    expect(doc.paths['/api/v1/conversations']!.get!.parameters.map((p) => p.name)).toContain('agent_id');
  });

  test('public routes need no credentials', () => {
    expect(doc.paths['/api/v1/auth/register']!.post!.security).toEqual([]);
    expect(doc.paths['/api/v1/auth/login']!.post!.security).toEqual([]);
    expect(doc.paths['/api/v1/agents']!.get!.security).toBeUndefined();
  });
});
