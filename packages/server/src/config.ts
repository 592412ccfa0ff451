import { DEFAULT_SANDBOX_IMAGE } from '@metisai/sandbox';
import { DEFAULT_LLM_IDLE_TIMEOUT_SECONDS, DEFAULT_LLM_TIMEOUT_SECONDS } from '@metisai/sdk/schemas';
import ipaddr from 'ipaddr.js';
import { z } from 'zod/mini';
import { en } from 'zod/locales';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EgressAllowEntry, parseEgressAllowList } from './security/egress-policy.ts';

z.config(en());

/** The monorepo root (the nearest package.json with workspaces) when run from a checkout, else the working directory. */
function projectRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
    } catch {
      // no package.json here: keep walking up
    }
  }
  return process.cwd();
}

const BOOLEAN_WORDS = ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'] as const;
const isTrue = (value: string) => ['true', '1', 'yes', 'on'].includes(value);

const bool = (fallback: boolean) =>
  z.pipe(
    z.optional(z.enum(BOOLEAN_WORDS)),
    z.transform((value) => (value === undefined ? fallback : isTrue(value))),
  );

/** A boolean whose default depends on other variables (laptop mode): undefined when unset. */
const optionalBool = z.pipe(
  z.optional(z.enum(BOOLEAN_WORDS)),
  z.transform((value) => (value === undefined ? undefined : isTrue(value))),
);

const int = (fallback: number, min: number, max: number) =>
  z.pipe(
    z.optional(z.string().check(z.regex(/^\d+$/, 'must be a whole number'))),
    z.pipe(
      z.transform((value: string | undefined) => (value === undefined ? fallback : Number(value))),
      z.number().check(z.gte(min), z.lte(max)),
    ),
  );

/** Seconds as a positive decimal (`15`, `0.2`): fractions let tests tick fast. */
const seconds = (fallback: number, min: number, max: number) =>
  z.pipe(
    z.optional(z.string().check(z.regex(/^\d+(\.\d+)?$/, 'must be a number of seconds such as 15 or 0.5'))),
    z.pipe(
      z.transform((value: string | undefined) => (value === undefined ? fallback : Number(value))),
      z.number().check(z.gte(min), z.lte(max)),
    ),
  );

/**
 * `TRUST_PROXY`: how many reverse proxies stand in front of the server (hops whose `X-Forwarded-For` entries are
 * believed, counted from the right). `true`/`yes`/`on` = 1, `false`/`no`/`off` = 0, or a number.
 */
const proxyHops = z.pipe(
  z.optional(
    z.string().check(z.regex(/^(true|false|yes|no|on|off|\d{1,2})$/, 'must be true, false, or the number of proxies in front of the server (1, 2, …)')),
  ),
  z.transform((value) => {
    if (value === undefined || ['false', 'no', 'off'].includes(value)) return 0;
    if (['true', 'yes', 'on'].includes(value)) return 1;
    return Number(value);
  }),
);

const optionalString = z.pipe(
  z.optional(z.string()),
  z.transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
);

export const EnvSchema = z.object({
  NODE_ENV: z._default(z.enum(['development', 'production', 'test']), 'development'),
  DATABASE_URL: z.optional(z.string().check(z.regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'))),
  METIS_DATA_DIR: z._default(z.string().check(z.minLength(1)), path.join(projectRoot(), '.metisai')),
  SECRET_KEY: optionalString,
  PORT: int(8000, 0, 65535),
  HOST: z._default(z.string().check(z.minLength(1)), '127.0.0.1'),
  CORS_ORIGINS: z._default(z.string(), ''),
  ALLOW_REGISTRATION: bool(true),
  TRUST_PROXY: proxyHops,
  /** Where agents' commands run: `docker` or `local` (auto when absent). */
  SANDBOX_DRIVER: z.optional(z.enum(['docker', 'local'])),
  /** The seed's name for SANDBOX_DRIVER, still accepted. */
  RUNTIME_TYPE: z.optional(z.enum(['docker', 'local'])),
  /** Outside laptop mode the local driver also needs this: it runs agents' commands on this host, unisolated. */
  ALLOW_UNSAFE_LOCAL_SANDBOX: bool(false),
  /** Image of Docker sandboxes when the agent names none (default: metisai/sandbox:latest, built on first use). */
  SANDBOX_IMAGE: optionalString,
  /** The Docker network `egress` sandboxes join (created when missing, inter-container traffic off). */
  SANDBOX_NETWORK: z._default(z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a Docker network name')), 'metisai-sandboxes'),
  /** Comma-separated images (or patterns with *) agents may ask for; empty = the default image only; `*` = any. */
  SANDBOX_ALLOWED_IMAGES: z._default(z.string(), ''),
  /** Build SANDBOX_IMAGE in the background when it is missing (once across replicas); off: it must exist. */
  SANDBOX_IMAGE_BUILD: bool(true),
  /** The Dockerfile SANDBOX_IMAGE is built from (default: the sandbox package's, for metisai/sandbox:latest). */
  SANDBOX_DOCKERFILE: optionalString,
  /** Outbound requests for users may reach loopback, private and link-local addresses (default: true in laptop mode). */
  ALLOW_PRIVATE_EGRESS: optionalBool,
  /** Comma-separated hosts, host:port or CIDR ranges outbound requests for users may reach whatever they resolve to. */
  EGRESS_ALLOWED_HOSTS: z._default(z.string(), ''),
  BCRYPT_COST: int(12, 4, 15),
  JWT_EXPIRES_SECONDS: int(7 * 24 * 3600, 60, 365 * 24 * 3600),
  BODY_LIMIT_BYTES: int(1024 * 1024, 1024, 100 * 1024 * 1024),
  /** Largest file upload (`PUT …/files/content`), streamed to the sandbox. */
  UPLOAD_LIMIT_BYTES: int(100 * 1024 * 1024, 1, 1024 ** 4),
  /** Largest conversation import document (`POST /conversations/import`), parsed in memory. */
  IMPORT_LIMIT_BYTES: int(50 * 1024 * 1024, 1024, 1024 ** 3),
  /** A repository clone may receive, and check out, at most this many bytes (each). */
  CLONE_LIMIT_BYTES: int(256 * 1024 * 1024, 1024, 1024 ** 4),
  /** A repository clone taking longer ends as `repository_unreachable`. */
  CLONE_TIMEOUT_SECONDS: seconds(600, 0.1, 24 * 3600),
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 3600),
  /** Login attempts per IP and window. */
  RATE_LIMIT_LOGIN_PER_IP: int(30, 1, 1_000_000),
  /** Login attempts per email and window. */
  RATE_LIMIT_LOGIN_PER_EMAIL: int(10, 1, 1_000_000),
  /** Registrations per IP and window. */
  RATE_LIMIT_REGISTER_PER_IP: int(10, 1, 1_000_000),
  /** Authenticated requests per user and window; 0 turns the limit off. */
  RATE_LIMIT_API_PER_USER: int(1200, 0, 100_000_000),
  /** Failed credential checks (bad token, unknown `metis_…` key) per client IP and window. */
  RATE_LIMIT_FAILED_AUTH_PER_IP: int(30, 1, 1_000_000),
  /** New visitors of embedded agents per client IP and window. */
  RATE_LIMIT_EMBED_VISITORS_PER_IP: int(20, 1, 1_000_000),
  /** Lifetime of visitor session tokens (at most 15 minutes). */
  EMBED_SESSION_TTL_SECONDS: int(900, 60, 900),
  /** Interval of the embed sweep: visitors' conversations past `retention_days`, confirmations past their timeout. */
  EMBED_SWEEP_SECONDS: seconds(300, 0.05, 24 * 3600),
  /** How often an idle event stream sends a `: ping` comment. */
  SSE_HEARTBEAT_SECONDS: seconds(15, 0.01, 3600),
  /** An event stream is ended (`stream_end` / `stream_max_age`) after this long; clients reconnect with Last-Event-ID. */
  SSE_MAX_AGE_SECONDS: seconds(3600, 0.05, 7 * 24 * 3600),
  /** Per-user quotas (see docs/security.md). */
  QUOTA_SANDBOXES_PER_USER: int(10, 0, 100_000),
  QUOTA_AGENTS_PER_USER: int(100, 0, 1_000_000),
  QUOTA_RUNS_PER_USER: int(5, 0, 100_000),
  QUOTA_STREAMS_PER_USER: int(50, 0, 1_000_000),
  QUOTA_MAX_IDLE_TIMEOUT_SECONDS: int(24 * 3600, 30, 7 * 24 * 3600),
  QUOTA_MAX_WARM_POOL_SIZE: int(3, 0, 10),
  QUOTA_WORKSPACE_BYTES: int(5 * 1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
  QUOTA_EVENTS_PER_CONVERSATION: int(20_000, 10, 100_000_000),
  QUOTA_STREAMS_PER_VISITOR: int(5, 0, 10_000),
  QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT: int(10, 0, 1000),
  LLM_MODEL: optionalString,
  LLM_BASE_URL: optionalString,
  LLM_API_KEY: optionalString,
  /** An LLM call that receives nothing (keep-alives count) for this long ends as llm_timeout. */
  LLM_IDLE_TIMEOUT_SECONDS: seconds(DEFAULT_LLM_IDLE_TIMEOUT_SECONDS, 0.1, 24 * 3600),
  /** One whole LLM call (headers and stream) may take this long. */
  LLM_TIMEOUT_SECONDS: seconds(DEFAULT_LLM_TIMEOUT_SECONDS, 0.1, 24 * 3600),
  /** The Docker engine of sandboxes: `unix:///path` or `tcp://host:port` (Docker's own variable; default the local socket). */
  DOCKER_HOST: z.pipe(
    optionalString,
    z.optional(z.string().check(z.regex(/^(unix:\/\/\/.+|tcp:\/\/[^/]+)$/, 'must be unix:///path/to/docker.sock or tcp://host:port'))),
  ),
  /** TLS to a `tcp://` engine, its certificate checked (Docker's own variable: any non-empty value but 0/false turns it on). */
  DOCKER_TLS_VERIFY: z.pipe(
    z.optional(z.string()),
    z.transform((value) => value !== undefined && value.trim() !== '' && !['0', 'false', 'no', 'off'].includes(value.trim().toLowerCase())),
  ),
  /** Directory of ca.pem, cert.pem and key.pem for DOCKER_TLS_VERIFY (Docker's own variable; default ~/.docker). */
  DOCKER_CERT_PATH: optionalString,
  /** Port of the Prometheus `/metrics` listener (a second HTTP server); unset: no metrics listener. */
  METRICS_PORT: z.pipe(
    optionalString,
    z.pipe(
      z.optional(z.string().check(z.regex(/^\d+$/, 'must be a port number such as 9464 (empty: no metrics listener)'))),
      z.transform((value) => (value === undefined ? undefined : Number(value))),
    ),
  ),
  /** Interface of the metrics listener (default: HOST). */
  METRICS_HOST: optionalString,
  /** The address browsers reach this server at (https://metis.example.com), for links and embed snippets it writes. */
  PUBLIC_URL: optionalString,
  LOG_LEVEL: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  databaseUrl: string | undefined;
  dataDir: string;
  /** Absent in development without `DATABASE_URL`: the server then uses (or creates) the one in the data dir (`loadOrCreateSecretKey`). */
  secretKey: string | undefined;
  port: number;
  host: string;
  /**
   * Laptop mode: `NODE_ENV` is not `production` and `HOST` is a loopback address — one person on their own machine.
   * Everything else is treated as shared: private egress and the local sandbox driver are then off unless asked for.
   */
  isLaptopMode: boolean;
  corsOrigins: string[];
  allowRegistration: boolean;
  /** Reverse proxies in front of the server whose `X-Forwarded-For` entries are believed (Koa's `maxIpsCount`); 0: none. */
  trustProxyHops: number;
  /** `SANDBOX_DRIVER` (or its alias `RUNTIME_TYPE`); absent: Docker when an engine answers, else local. */
  sandboxDriver: 'docker' | 'local' | undefined;
  /** `ALLOW_UNSAFE_LOCAL_SANDBOX`: outside laptop mode, `SANDBOX_DRIVER=local` is refused without it. */
  allowUnsafeLocalSandbox: boolean;
  sandboxImage: string | undefined;
  /** `SANDBOX_IMAGE_BUILD`: the server builds the sandbox image when it is missing (Docker driver only). */
  sandboxImageBuild: boolean;
  /** `SANDBOX_DOCKERFILE`, absolute: the Dockerfile the sandbox image is built from; absent → the package's. */
  sandboxDockerfile: string | undefined;
  /** `SANDBOX_NETWORK`: the Docker network of `egress` sandboxes. */
  sandboxNetwork: string;
  /**
   * `SANDBOX_ALLOWED_IMAGES`: names or `*` patterns agents may ask for; unset, the default image alone (`SANDBOX_IMAGE`
   * or `metisai/sandbox:latest`); `*` any (by name: ids, digests and private registries must be listed as they are).
   */
  sandboxAllowedImages: string[];
  /** Who outbound requests made for users may reach (see `security/egress-policy.ts`). */
  egress: {
    /** `ALLOW_PRIVATE_EGRESS` (default: laptop mode). */
    allowPrivate: boolean;
    /** `EGRESS_ALLOWED_HOSTS`, parsed. The server's own `LLM_BASE_URL` is allowed besides (the guard adds it). */
    allowedHosts: EgressAllowEntry[];
  };
  bcryptCost: number;
  jwtExpiresSeconds: number;
  bodyLimitBytes: number;
  /** `UPLOAD_LIMIT_BYTES`: largest file upload. */
  uploadLimitBytes: number;
  /** `IMPORT_LIMIT_BYTES`: largest import document. */
  importLimitBytes: number;
  /** Repository clones into new conversations (`POST /conversations` with `repository`). */
  clone: {
    /** `CLONE_LIMIT_BYTES`: most bytes received, and most bytes checked out. */
    limitBytes: number;
    /** `CLONE_TIMEOUT_SECONDS`, in milliseconds. */
    timeoutMs: number;
  };
  rateLimit: {
    windowSeconds: number;
    loginPerIp: number;
    loginPerEmail: number;
    registerPerIp: number;
    apiPerUser: number;
    failedAuthPerIp: number;
    /** New visitors of embedded agents per client IP and window. */
    embedVisitorsPerIp: number;
  };
  /** Embedding agents in websites (see docs/embedding.md). */
  embed: {
    /** Lifetime of a visitor session's token (≤ 900 s). */
    sessionTtlSeconds: number;
    /** Interval of the sweep that deletes visitors' conversations past retention and rejects overdue confirmations. */
    sweepSeconds: number;
  };
  /** Interval of `: ping` comments on idle event streams. */
  sseHeartbeatSeconds: number;
  /** Longest life of one event stream. */
  sseMaxAgeSeconds: number;
  quotas: Quotas;
  llm: {
    model: string | undefined;
    baseUrl: string | undefined;
    apiKey: string | undefined;
    /** `LLM_IDLE_TIMEOUT_SECONDS`: nothing received for this long ends an LLM call. */
    idleTimeoutSeconds: number;
    /** `LLM_TIMEOUT_SECONDS`: one whole LLM call may take this long. */
    timeoutSeconds: number;
  };
  logLevel: Env['LOG_LEVEL'];
  /** The Docker engine of sandboxes (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`); `host` absent: the local socket. */
  docker: { host: string | undefined; tlsVerify: boolean; certPath: string | undefined };
  /** The Prometheus listener (`METRICS_PORT`, `METRICS_HOST`); null: none. */
  metrics: { port: number; host: string } | null;
  /** `PUBLIC_URL` without a trailing slash: the origin (and path) browsers use; absent: the one each request came to. */
  publicUrl: string | undefined;
}

/** Per-user limits, the same in every process (counted in Postgres). */
export interface Quotas {
  /** Started sandboxes of a user's conversations and agents' warm pools. */
  sandboxes: number;
  /** Agents that are not deleted. */
  agents: number;
  /** Conversations in `running` at once. */
  runs: number;
  /** Open event streams. */
  streams: number;
  /** Largest `idle_timeout_seconds` an agent may set. */
  maxIdleTimeoutSeconds: number;
  /** Largest `warm_pool_size` an agent may set. */
  maxWarmPoolSize: number;
  /** Size of one conversation's workspace, measured after each run. */
  workspaceBytes: number;
  /** Stored events of one conversation. */
  eventsPerConversation: number;
  /** Open event streams of one visitor of an embedded agent. */
  streamsPerVisitor: number;
  /** Largest `embed.policy.quotas.agent_sandboxes` an agent may set (visitors' sandboxes count there, not against the owner). */
  maxEmbedSandboxesPerAgent: number;
}

/** Values we refuse as SECRET_KEY in production: the seed's example and other well-known strings. */
const KNOWN_WEAK_KEYS = new Set(['your-secret-key-here', 'secret', 'changeme', 'change-me', 'password', 'metisai']);
export const MIN_SECRET_KEY_LENGTH = 32;

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

/** `localhost` or a loopback IP (`127.0.0.0/8`, `::1`, bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (!ipaddr.isValid(bare)) return false;
  const address = ipaddr.process(bare);
  return address.range() === 'loopback';
}

/** Reads and checks the environment; a bad value throws a `ConfigError` naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const env = parsed.data;
  if (env.DATABASE_URL && !env.SECRET_KEY) {
    throw new ConfigError('SECRET_KEY', 'is required when DATABASE_URL is set, so that every process on the database signs and encrypts with the same key');
  }
  if (env.SECRET_KEY && env.NODE_ENV === 'production') {
    if (KNOWN_WEAK_KEYS.has(env.SECRET_KEY.toLowerCase()) || env.SECRET_KEY.length < MIN_SECRET_KEY_LENGTH) {
      throw new ConfigError(
        'SECRET_KEY',
        `is too weak for production: use at least ${MIN_SECRET_KEY_LENGTH} random characters (e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  if (env.SANDBOX_DRIVER && env.RUNTIME_TYPE && env.SANDBOX_DRIVER !== env.RUNTIME_TYPE) {
    throw new ConfigError(
      'SANDBOX_DRIVER',
      `is "${env.SANDBOX_DRIVER}" but RUNTIME_TYPE (its old name) is "${env.RUNTIME_TYPE}": set only SANDBOX_DRIVER, or both to the same value`,
    );
  }
  if (env.NODE_ENV === 'production' && !env.SECRET_KEY) {
    throw new ConfigError('SECRET_KEY', 'is required in production');
  }
  for (const [name, value] of [['LLM_BASE_URL', env.LLM_BASE_URL]] as const) {
    if (value !== undefined && !URL.canParse(value)) throw new ConfigError(name, 'must be a URL such as https://api.openai.com/v1');
  }
  if (env.DOCKER_TLS_VERIFY && !env.DOCKER_HOST?.startsWith('tcp://')) {
    throw new ConfigError('DOCKER_TLS_VERIFY', 'applies to a tcp:// engine: set DOCKER_HOST=tcp://host:2376 as well');
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT > 65535) throw new ConfigError('METRICS_PORT', 'must be a port number (0-65535)');
  if (env.PUBLIC_URL !== undefined && !/^https?:\/\/[^/]+/.test(env.PUBLIC_URL)) {
    throw new ConfigError('PUBLIC_URL', 'must be the URL browsers reach this server at, such as https://metis.example.com');
  }
  const sandboxDockerfile = env.SANDBOX_DOCKERFILE === undefined ? undefined : path.resolve(env.SANDBOX_DOCKERFILE);
  if (sandboxDockerfile !== undefined && !statSync(sandboxDockerfile, { throwIfNoEntry: false })?.isFile()) {
    throw new ConfigError('SANDBOX_DOCKERFILE', `${sandboxDockerfile} is not a file: name the Dockerfile the sandbox image is built from`);
  }
  const isLaptopMode = env.NODE_ENV !== 'production' && isLoopbackHost(env.HOST);
  const sandboxDriver = env.SANDBOX_DRIVER ?? env.RUNTIME_TYPE;
  if (sandboxDriver === 'local' && !isLaptopMode && !env.ALLOW_UNSAFE_LOCAL_SANDBOX) {
    throw new ConfigError(
      'SANDBOX_DRIVER',
      'is "local", which runs agents\' commands on this host without any isolation; outside laptop mode (NODE_ENV not production and HOST a loopback address) it also needs ALLOW_UNSAFE_LOCAL_SANDBOX=true',
    );
  }
  let allowedHosts: EgressAllowEntry[];
  try {
    allowedHosts = parseEgressAllowList(env.EGRESS_ALLOWED_HOSTS);
  } catch (error) {
    throw new ConfigError('EGRESS_ALLOWED_HOSTS', `${(error as Error).message} (comma-separated host, host:port or CIDR)`);
  }
  const allowedImages = env.SANDBOX_ALLOWED_IMAGES.split(',')
    .map((image) => image.trim())
    .filter(Boolean);
  const corsOrigins = env.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin such as https://example.com (comma-separated, or *)`);
    }
  }
  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    dataDir: path.resolve(env.METIS_DATA_DIR),
    secretKey: env.SECRET_KEY,
    port: env.PORT,
    host: env.HOST,
    isLaptopMode,
    corsOrigins,
    allowRegistration: env.ALLOW_REGISTRATION,
    trustProxyHops: env.TRUST_PROXY,
    sandboxDriver,
    allowUnsafeLocalSandbox: env.ALLOW_UNSAFE_LOCAL_SANDBOX,
    sandboxImage: env.SANDBOX_IMAGE,
    sandboxNetwork: env.SANDBOX_NETWORK,
    sandboxAllowedImages: allowedImages.length > 0 ? allowedImages : [env.SANDBOX_IMAGE ?? DEFAULT_SANDBOX_IMAGE],
    sandboxImageBuild: env.SANDBOX_IMAGE_BUILD,
    sandboxDockerfile,
    egress: { allowPrivate: env.ALLOW_PRIVATE_EGRESS ?? isLaptopMode, allowedHosts },
    bcryptCost: env.BCRYPT_COST,
    jwtExpiresSeconds: env.JWT_EXPIRES_SECONDS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    uploadLimitBytes: env.UPLOAD_LIMIT_BYTES,
    importLimitBytes: env.IMPORT_LIMIT_BYTES,
    clone: { limitBytes: env.CLONE_LIMIT_BYTES, timeoutMs: Math.round(env.CLONE_TIMEOUT_SECONDS * 1000) },
    rateLimit: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      loginPerIp: env.RATE_LIMIT_LOGIN_PER_IP,
      loginPerEmail: env.RATE_LIMIT_LOGIN_PER_EMAIL,
      registerPerIp: env.RATE_LIMIT_REGISTER_PER_IP,
      apiPerUser: env.RATE_LIMIT_API_PER_USER,
      failedAuthPerIp: env.RATE_LIMIT_FAILED_AUTH_PER_IP,
      embedVisitorsPerIp: env.RATE_LIMIT_EMBED_VISITORS_PER_IP,
    },
    embed: { sessionTtlSeconds: env.EMBED_SESSION_TTL_SECONDS, sweepSeconds: env.EMBED_SWEEP_SECONDS },
    sseHeartbeatSeconds: env.SSE_HEARTBEAT_SECONDS,
    sseMaxAgeSeconds: env.SSE_MAX_AGE_SECONDS,
    quotas: {
      sandboxes: env.QUOTA_SANDBOXES_PER_USER,
      agents: env.QUOTA_AGENTS_PER_USER,
      runs: env.QUOTA_RUNS_PER_USER,
      streams: env.QUOTA_STREAMS_PER_USER,
      maxIdleTimeoutSeconds: env.QUOTA_MAX_IDLE_TIMEOUT_SECONDS,
      maxWarmPoolSize: env.QUOTA_MAX_WARM_POOL_SIZE,
      workspaceBytes: env.QUOTA_WORKSPACE_BYTES,
      eventsPerConversation: env.QUOTA_EVENTS_PER_CONVERSATION,
      streamsPerVisitor: env.QUOTA_STREAMS_PER_VISITOR,
      maxEmbedSandboxesPerAgent: env.QUOTA_MAX_EMBED_SANDBOXES_PER_AGENT,
    },
    llm: {
      model: env.LLM_MODEL,
      baseUrl: env.LLM_BASE_URL,
      apiKey: env.LLM_API_KEY,
      idleTimeoutSeconds: env.LLM_IDLE_TIMEOUT_SECONDS,
      timeoutSeconds: env.LLM_TIMEOUT_SECONDS,
    },
    logLevel: env.LOG_LEVEL,
    docker: { host: env.DOCKER_HOST, tlsVerify: env.DOCKER_TLS_VERIFY, certPath: env.DOCKER_CERT_PATH },
    metrics: env.METRICS_PORT === undefined ? null : { port: env.METRICS_PORT, host: env.METRICS_HOST ?? env.HOST },
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
  };
}
