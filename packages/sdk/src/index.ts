/**
 * @metisai/sdk — the typed client of the MetisAI agent platform, and the wire schemas (zod) it shares with the server.
 *
 * ```ts
 * import { MetisClient } from '@metisai/sdk';
 * const client = new MetisClient({ baseUrl: 'http://localhost:3000', apiKey: 'metis_…' });
 * ```
 */
export { MetisClient, type ClientOptions, type TokenProvider } from './client.ts';
export type { RequestOptions, Query } from './core/request-options.ts';
export {
  MetisError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  ConnectionError,
  TimeoutError,
  AbortError,
  StreamEndedError,
  type MetisErrorInit,
} from './core/errors.ts';
export { PagePromise } from './core/pagination.ts';
export {
  EventStream,
  isKnownEvent,
  type ConversationStreamEvent,
  type EventStreamOptions,
  type UnknownEvent,
} from './core/event-stream.ts';
export { RunStream, isRunEnd, type RunOptions } from './core/run-stream.ts';
export { Auth } from './resources/auth.ts';
export { Sessions } from './resources/sessions.ts';
export { Agents } from './resources/agents.ts';
export { AgentsCore } from './resources/agents-core.ts';
export {
  Conversations,
  Messages,
  Events,
  type StreamOptions,
} from './resources/conversations/index.ts';
export { ServerInfoResource } from './resources/server-info.ts';
// Renamed: `Settings` is the wire type of `GET /settings` (from the schemas).
export { Settings as SettingsResource } from './resources/settings.ts';
export { Secrets } from './resources/secrets.ts';
export { ApiKeys } from './resources/api-keys.ts';
export { Usage as UsageResource } from './resources/usage.ts';
export { Approvals } from './resources/approvals.ts';
// Types only: the zod schemas and constants (`ErrorCode`, `AgentSchema`, …) are at `@metisai/sdk/schemas`, so that a
// bundle keeps only the schemas the client itself uses (the main entry's 30 KB budget).
export type * from './schemas/index.ts';
