export { createApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { startServer, type RunningServer, type StartOptions } from './server.ts';
export { createOrm, migrate, type Orm } from './db/orm.ts';
export { startEmbeddedPostgres, freePort } from './db/embedded-postgres.ts';
export type { AgentRuntime } from './services/agent-runtime.ts';
