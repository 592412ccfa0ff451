#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';

/** `npm start`: configuration from the environment; SIGTERM/SIGINT shut down gracefully. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`MetisAI cannot start: invalid configuration. ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer({ config });
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    server.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    const exit = (code: number) => server.logger.flush(() => process.exit(code));
    server.close().then(
      () => exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('MetisAI failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
