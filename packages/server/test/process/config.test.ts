import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runMain } from '../support/server-process.ts';

describe('configuration', () => {
  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ALLOW_REGISTRATION: 'maybe' }, 'ALLOW_REGISTRATION'],
    [{ BCRYPT_COST: '3' }, 'BCRYPT_COST'],
    [{ SANDBOX_DRIVER: 'kubernetes' }, 'SANDBOX_DRIVER'],
    [{ RUNTIME_TYPE: 'kubernetes' }, 'RUNTIME_TYPE'],
    [{ SANDBOX_DRIVER: 'docker', RUNTIME_TYPE: 'local' }, 'SANDBOX_DRIVER'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' }, 'SECRET_KEY'],
    [{ NODE_ENV: 'production', SECRET_KEY: 'your-secret-key-here' }, 'SECRET_KEY'],
    [{ NODE_ENV: 'production', SECRET_KEY: 'short-but-not-known' }, 'SECRET_KEY'],
    [{ NODE_ENV: 'production' }, 'SECRET_KEY'],
    [{ CORS_ORIGINS: 'example.com' }, 'CORS_ORIGINS'],
    [{ LLM_BASE_URL: 'not a url' }, 'LLM_BASE_URL'],
    [{ SANDBOX_IMAGE_BUILD: 'sometimes' }, 'SANDBOX_IMAGE_BUILD'],
    [{ SANDBOX_DOCKERFILE: '/nonexistent/Dockerfile' }, 'SANDBOX_DOCKERFILE'],
    [{ EGRESS_ALLOWED_HOSTS: 'ok.example, 10.0.0.0/40' }, 'EGRESS_ALLOWED_HOSTS'],
    [{ ALLOW_PRIVATE_EGRESS: 'sometimes' }, 'ALLOW_PRIVATE_EGRESS'],
    [{ HOST: '0.0.0.0', SANDBOX_DRIVER: 'local' }, 'SANDBOX_DRIVER'],
    [{ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40), SANDBOX_DRIVER: 'local' }, 'SANDBOX_DRIVER'],
    [{ SANDBOX_NETWORK: 'no spaces please' }, 'SANDBOX_NETWORK'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '-1' }, 'TRUST_PROXY'],
    [{ SSE_MAX_AGE_SECONDS: '0' }, 'SSE_MAX_AGE_SECONDS'],
    [{ QUOTA_MAX_WARM_POOL_SIZE: '11' }, 'QUOTA_MAX_WARM_POOL_SIZE'],
    [{ QUOTA_RUNS_PER_USER: 'many' }, 'QUOTA_RUNS_PER_USER'],
    [{ DOCKER_HOST: 'http://docker.internal:2376' }, 'DOCKER_HOST'],
    [{ DOCKER_TLS_VERIFY: '1' }, 'DOCKER_TLS_VERIFY'],
    [{ DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_TLS_VERIFY: '1' }, 'DOCKER_TLS_VERIFY'],
    [{ METRICS_PORT: 'nine' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ PUBLIC_URL: 'metis.example.com' }, 'PUBLIC_URL'],
  ])('%j is refused naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  test('the Docker engine, the metrics listener and the public URL', () => {
    expect(loadConfig({})).toMatchObject({ docker: { host: undefined, tlsVerify: false }, metrics: null, publicUrl: undefined });
    expect(loadConfig({ METRICS_PORT: '' }).metrics).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464', HOST: '0.0.0.0' }).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(loadConfig({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }).docker).toEqual({
      host: 'tcp://10.0.0.5:2376',
      tlsVerify: true,
      certPath: '/certs',
    });
    // docker-compose.yml passes every variable, empty when .env has none: an empty DOCKER_HOST is the local socket.
    expect(loadConfig({ DOCKER_HOST: '', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '', PUBLIC_URL: '' })).toMatchObject({
      docker: { host: undefined, tlsVerify: false, certPath: undefined },
      publicUrl: undefined,
    });
    // Docker's reading: an empty DOCKER_TLS_VERIFY is off.
    expect(loadConfig({ DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_TLS_VERIFY: '' }).docker.tlsVerify).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://metis.example.com/' }).publicUrl).toBe('https://metis.example.com');
  });

  test('defaults follow the seed', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8000, host: '127.0.0.1', allowRegistration: true, trustProxyHops: 0, bcryptCost: 12, databaseUrl: undefined });
    expect(config.dataDir).toMatch(/\.metisai$/);
    // The sandbox image is built when missing, from the package's Dockerfile.
    expect(config).toMatchObject({ sandboxImageBuild: true, sandboxDockerfile: undefined });
    expect(loadConfig({ SANDBOX_IMAGE_BUILD: 'off' }).sandboxImageBuild).toBe(false);
  });

  test('laptop mode: not production and a loopback HOST; private egress follows it unless set', () => {
    const strong = 'k'.repeat(40);
    for (const host of ['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost']) {
      expect(loadConfig({ HOST: host })).toMatchObject({ isLaptopMode: true, egress: { allowPrivate: true } });
    }
    for (const env of [{ HOST: '0.0.0.0' }, { HOST: '192.168.1.5' }, { HOST: '::' }, { NODE_ENV: 'production', SECRET_KEY: strong }]) {
      expect(loadConfig(env)).toMatchObject({ isLaptopMode: false, egress: { allowPrivate: false } });
    }
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_PRIVATE_EGRESS: 'true' }).egress.allowPrivate).toBe(true);
    expect(loadConfig({ ALLOW_PRIVATE_EGRESS: 'false' }).egress.allowPrivate).toBe(false);
  });

  test('the local driver outside laptop mode takes ALLOW_UNSAFE_LOCAL_SANDBOX=true as well', () => {
    expect(loadConfig({ HOST: '0.0.0.0', SANDBOX_DRIVER: 'local', ALLOW_UNSAFE_LOCAL_SANDBOX: 'true' }).sandboxDriver).toBe('local');
    expect(loadConfig({ SANDBOX_DRIVER: 'local' }).sandboxDriver).toBe('local');
  });

  test('SANDBOX_ALLOWED_IMAGES: unset, the default image alone', () => {
    expect(loadConfig({}).sandboxAllowedImages).toEqual(['metisai/sandbox:latest']);
    expect(loadConfig({ SANDBOX_IMAGE: 'acme/tools:2' }).sandboxAllowedImages).toEqual(['acme/tools:2']);
    expect(loadConfig({ SANDBOX_ALLOWED_IMAGES: ' python:*, * ' }).sandboxAllowedImages).toEqual(['python:*', '*']);
  });

  test.each([
    ['true', 1],
    ['1', 1],
    ['yes', 1],
    ['2', 2],
    ['false', 0],
    ['0', 0],
  ])('TRUST_PROXY=%s trusts %i proxy hops', (value, hops) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxyHops).toBe(hops);
  });

  test('quotas and the stream age have defaults, and follow the environment', () => {
    expect(loadConfig({}).quotas).toEqual({
      sandboxes: 10,
      agents: 100,
      runs: 5,
      streams: 50,
      maxIdleTimeoutSeconds: 86_400,
      maxWarmPoolSize: 3,
      workspaceBytes: 5 * 1024 ** 3,
      eventsPerConversation: 20_000,
      streamsPerVisitor: 5,
      maxEmbedSandboxesPerAgent: 10,
    });
    expect(loadConfig({}).sseMaxAgeSeconds).toBe(3600);
    expect(loadConfig({ QUOTA_AGENTS_PER_USER: '7', SSE_MAX_AGE_SECONDS: '0.5' })).toMatchObject({ quotas: { agents: 7 }, sseMaxAgeSeconds: 0.5 });
  });

  test('embedding settings have defaults, and a visitor session lasts at most 15 minutes', () => {
    expect(loadConfig({})).toMatchObject({ embed: { sessionTtlSeconds: 900, sweepSeconds: 300 }, rateLimit: { embedVisitorsPerIp: 20 } });
    expect(loadConfig({ EMBED_SESSION_TTL_SECONDS: '120', EMBED_SWEEP_SECONDS: '0.5' }).embed).toEqual({ sessionTtlSeconds: 120, sweepSeconds: 0.5 });
    expect(() => loadConfig({ EMBED_SESSION_TTL_SECONDS: '901' })).toThrow(/EMBED_SESSION_TTL_SECONDS/);
  });

  test('a strong production key is accepted', () => {
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a'.repeat(16) + 'B'.repeat(16) }).env).toBe('production');
  });

  test('the server process stops at start with a message naming the variable', async () => {
    const run = runMain({ PORT: 'eighty', METIS_DATA_DIR: '/nonexistent/never-created' });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/invalid configuration\. PORT: /);
  });
});
