import { ConfigError, loadConfig } from '../config.ts';
import { startServer } from '../server.ts';

/** How long a graceful shutdown may take before the process exits anyway (below compose's `stop_grace_period` of 20 s). */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * `metisai serve` (the default; `npm start`): configuration from the environment, then the server. SIGTERM/SIGINT shut
 * down gracefully (open streams end, requests finish, runs end as `interrupted`), forced after `SHUTDOWN_TIMEOUT_MS`.
 * An invalid configuration exits 2 with the variable at fault.
 */
export async function runServe(): Promise<void> {
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
    const force = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
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
