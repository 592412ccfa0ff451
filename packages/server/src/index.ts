export { createApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { startServer, type RunningServer, type StartOptions, type StartStep } from './server.ts';
export { createOrm, migrate, type Orm } from './db/orm.ts';
export { startEmbeddedPostgres, freePort } from './db/embedded-postgres.ts';
export type { AgentLifecycle } from './services/agent-lifecycle.ts';
