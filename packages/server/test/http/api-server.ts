import { startTestApp } from '../support/test-app.ts';
import { startTestServer } from '../support/test-server.ts';

type Options = Parameters<typeof startTestApp>[0] & {
  /** A whole server (runner, LISTEN connection, locks, recovery) instead of the app alone: for tests that run agents. */
  withRunner?: boolean;
};

/**
 * A server for route tests whose per-IP limits do not get in the way: every test registers from 127.0.0.1.
 * Tests of the limits themselves set them back through `env`. Without `withRunner`, the app alone (see `startTestApp`).
 * Agents it starts get local sandboxes unless `env` names another driver: no suite relies on what the machine has.
 */
export const startApiServer = (options: Options = {}) => {
  const env = {
    SANDBOX_DRIVER: 'local',
    RATE_LIMIT_REGISTER_PER_IP: '100000',
    RATE_LIMIT_LOGIN_PER_IP: '100000',
    RATE_LIMIT_LOGIN_PER_EMAIL: '100000',
    ...options.env,
  };
  return options.withRunner ? startTestServer({ ...options, env }) : startTestApp({ ...options, env });
};

export type ApiServer = Awaited<ReturnType<typeof startApiServer>>;

/** A well-formed id that names nothing. */
export const MISSING_ID = '0190a000-0000-7000-8000-000000000000';
