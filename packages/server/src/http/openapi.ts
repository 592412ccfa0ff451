import { z } from 'zod/mini';
import { describeScope } from '../security/scopes.ts';
import type { Endpoint } from './endpoint.ts';

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const queryParameters = (schema: z.ZodMiniType) => {
  const { properties = {}, required = [] } = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.includes(name), schema: property }));
};

/** OpenAPI 3.1 for every endpoint, generated from the same zod schemas that validate requests. */
export function buildOpenApi(endpoints: Endpoint[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of endpoints) {
    const path = `/api/v1${endpoint.path.replace(/:(\w+)/g, '{$1}')}`;
    const pathParameters = [...endpoint.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    }));
    const responses = Object.fromEntries(
      Object.entries(endpoint.responses).map(([status, response]) => [
        status,
        {
          description: response.description,
          ...(response.schema || response.contentType
            ? {
                content: Object.fromEntries(
                  [{ contentType: response.contentType ?? 'application/json', schema: response.schema }, ...(response.alternatives ?? [])].map(
                    ({ contentType, schema }) => [
                      contentType,
                      schema ? { schema: jsonSchema(schema, 'output') } : response.isBinary ? { schema: { type: 'string', format: 'binary' } } : {},
                    ],
                  ),
                ),
              }
            : {}),
          ...(response.headers
            ? {
                headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])),
              }
            : {}),
        },
      ]),
    );
    const access = endpoint.scope
      ? {
          description: [
            describeScope(endpoint.scope),
            endpoint.agentAccess && endpoint.agentAccess !== 'any'
              ? 'A key restricted to some agents (`agent_ids`) reaches only theirs.'
              : endpoint.agentAccess === 'any'
                ? ''
                : 'Keys restricted to some agents (`agent_ids`) are refused.',
          ]
            .filter(Boolean)
            .join(' '),
          'x-required-scope': endpoint.scope,
        }
      : {};
    (paths[path] ??= {})[endpoint.method] = {
      summary: endpoint.summary,
      ...access,
      tags: [endpoint.tag],
      operationId: `${endpoint.method}${endpoint.path.replace(/[/:-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(endpoint.isPublic ? { security: [] } : {}),
      parameters: [...pathParameters, ...(endpoint.query ? queryParameters(endpoint.query) : [])],
      ...(endpoint.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(endpoint.body, 'input') } } } } : {}),
      ...(endpoint.rawBody
        ? {
            requestBody: {
              required: true,
              description: endpoint.rawBody.description,
              content: { [endpoint.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'MetisAI API', version, description: 'Accounts, agents, conversations and their events.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A session JWT from /auth/login or an API key (metis_…). Key scopes: `read` (GET routes, LLM tests), `run` (read + conversations, ' +
            'messages, stop, confirm, files), `manage` (run + agents, settings, secrets), `embed:mint` (only minting embed tokens). ' +
            'API keys, sessions, the password and the account need a session. A visitor token of an embedded agent (from `POST /embed/sessions`, ' +
            'or minted by an app with `embed:mint`) reaches the `/embed/…` routes only, from the origin it was minted for. ' +
            'Each operation names its scope in `x-required-scope`.',
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
