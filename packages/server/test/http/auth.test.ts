import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deriveKeys } from '../../src/security/keys.ts';
import { Http, registerUser, uniqueEmail } from '../support/http.ts';
import { TEST_SECRET_KEY } from '../support/test-server.ts';
import { MISSING_ID, startApiServer, type ApiServer } from './api-server.ts';

let server: ApiServer;
let http: Http;
beforeAll(async () => {
  server = await startApiServer({ withRunner: true });
  http = new Http(server.url);
});
afterAll(() => server.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('register', () => {
  test('answers 201 with a bearer token and the user', async () => {
    const email = uniqueEmail('reg');
    const reply = await http.post('/api/v1/auth/register', { email, password: 'uncommon-pass-123', name: 'Reg' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7 * 24 * 3600,
      user: { id: expect.stringMatching(UUID), email, name: 'Reg', created_at: expect.any(String) },
    });
    expect(Date.parse(reply.body.user.created_at)).not.toBeNaN();
    const profile = await http.as(reply.body.access_token).get('/api/v1/auth/profile');
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual(reply.body.user);
  });

  test('name is optional', async () => {
    const reply = await http.post('/api/v1/auth/register', { email: uniqueEmail('noname'), password: 'uncommon-pass-123' });
    expect(reply.status).toBe(201);
    expect(reply.body.user.name).toBeNull();
  });

  test('emails are unique regardless of case: 409 email_taken naming email', async () => {
    const email = uniqueEmail('Case');
    expect((await http.post('/api/v1/auth/register', { email, password: 'uncommon-pass-123' })).status).toBe(201);
    const again = await http.post('/api/v1/auth/register', { email: email.toUpperCase(), password: 'other-password' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('email_taken');
    expect(again.body.error.details).toEqual([expect.objectContaining({ path: 'email' })]);
  });

  test('a password under 10 characters is a 400 naming password', async () => {
    const reply = await http.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'short' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_error');
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['password']);
  });

  test('a password over 72 bytes is refused even when under 72 characters', async () => {
    const password = 'é'.repeat(40); // 40 characters, 80 bytes
    const reply = await http.post('/api/v1/auth/register', { email: uniqueEmail(), password });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['password']);
    // 36 two-byte characters are exactly 72 bytes: accepted.
    const fits = await http.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'é'.repeat(36) });
    expect(fits.status).toBe(201);
  });

  test('an invalid email is a 400 naming email', async () => {
    const reply = await http.post('/api/v1/auth/register', { email: 'not-an-email', password: 'uncommon-pass-123' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['email']);
  });

  test('expires_in and the token expiry follow JWT_EXPIRES_SECONDS', async () => {
    const short = await startApiServer({ env: { JWT_EXPIRES_SECONDS: '120' } });
    try {
      const reply = await new Http(short.url).post('/api/v1/auth/register', { email: uniqueEmail(), password: 'uncommon-pass-123' });
      expect(reply.body.expires_in).toBe(120);
      const { iat, exp } = jwt.decode(reply.body.access_token) as { iat: number; exp: number };
      expect(exp - iat).toBe(120);
    } finally {
      await short.close();
    }
  });

  test('403 registration_closed when ALLOW_REGISTRATION=false', async () => {
    const closed = await startApiServer({ env: { ALLOW_REGISTRATION: 'false' } });
    try {
      const reply = await new Http(closed.url).post('/api/v1/auth/register', { email: uniqueEmail(), password: 'uncommon-pass-123' });
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('registration_closed');
    } finally {
      await closed.close();
    }
  });
});

describe('login', () => {
  test('answers 200 with the same shape as register, for any case of the email', async () => {
    const alice = await registerUser(http, 'login');
    const reply = await http.post('/api/v1/auth/login', { email: alice.email.toUpperCase(), password: alice.password });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: expect.any(Number), user: alice.user });
    expect(reply.body.access_token).not.toBe(alice.token);
    expect((await http.as(reply.body.access_token).get('/api/v1/auth/profile')).body.id).toBe(alice.user.id);
  });

  test('an unknown email and a wrong password answer exactly alike', async () => {
    const alice = await registerUser(http, 'alike');
    const unknown = await http.post('/api/v1/auth/login', { email: uniqueEmail('nobody'), password: alice.password });
    const wrong = await http.post('/api/v1/auth/login', { email: alice.email, password: 'wrong password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_credentials');
    const { request_id: _a, ...unknownError } = unknown.body.error;
    const { request_id: _b, ...wrongError } = wrong.body.error;
    expect(unknownError).toEqual(wrongError);
  });

  test('an unknown email takes about as long as a wrong password', async () => {
    // A real bcrypt cost, so that skipping the hash for unknown emails would show.
    const slow = await startApiServer({ env: { BCRYPT_COST: '10' } });
    try {
      const client = new Http(slow.url);
      const alice = await registerUser(client, 'timing');
      const time = async (email: string) => {
        const started = performance.now();
        const reply = await client.post('/api/v1/auth/login', { email, password: 'wrong password' });
        expect(reply.status).toBe(401);
        return performance.now() - started;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time(alice.email));
        unknown.push(await time(uniqueEmail('ghost')));
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
      const ratio = median(known) / median(unknown);
      expect(ratio).toBeGreaterThan(1 / 3);
      expect(ratio).toBeLessThan(3);
    } finally {
      await slow.close();
    }
  });

  test('rate limited per email and per IP with 429 and Retry-After', async () => {
    const limited = await startApiServer({
      env: { TRUST_PROXY: 'true', RATE_LIMIT_LOGIN_PER_EMAIL: '3', RATE_LIMIT_LOGIN_PER_IP: '5' },
    });
    try {
      const client = new Http(limited.url);
      const alice = await registerUser(client, 'limited');
      const login = (email: string, ip: string, password = 'wrong password') =>
        client.post('/api/v1/auth/login', { email, password }, { 'x-forwarded-for': ip });

      // Per email: three attempts from three addresses, then the fourth is refused, even with the right password.
      for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect((await login(alice.email, ip)).status).toBe(401);
      const perEmail = await login(alice.email.toUpperCase(), '10.0.0.4', alice.password);
      expect(perEmail.status).toBe(429);
      expect(perEmail.body.error.code).toBe('rate_limited');
      expect(Number(perEmail.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // ...while another email from that address still gets through.
      expect((await login(uniqueEmail(), '10.0.0.4')).status).toBe(401);

      // Per IP: five attempts with five emails from one address, then the sixth is refused.
      for (let i = 0; i < 5; i++) expect((await login(uniqueEmail(), '10.0.0.9')).status).toBe(401);
      const perIp = await login(uniqueEmail(), '10.0.0.9');
      expect(perIp.status).toBe(429);
      expect(perIp.body.error.code).toBe('rate_limited');
      expect(Number(perIp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await login(uniqueEmail(), '10.0.0.10')).status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  test('concurrent registrations of one email make one account', async () => {
    const email = uniqueEmail('race');
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => http.post('/api/v1/auth/register', { email: i % 2 ? email : email.toUpperCase(), password: 'uncommon-pass-123' })),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.error.code).toBe('email_taken');
  });

  test('authenticated requests are rate limited per user', async () => {
    const limited = await startApiServer({ env: { RATE_LIMIT_API_PER_USER: '3' } });
    try {
      const client = new Http(limited.url);
      const alice = await registerUser(client, 'busy');
      const bob = await registerUser(client, 'calm');
      for (let i = 0; i < 3; i++) expect((await alice.http.get('/api/v1/agents')).status).toBe(200);
      const refused = await alice.http.get('/api/v1/agents');
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await bob.http.get('/api/v1/agents')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test('registration is rate limited per IP', async () => {
    const limited = await startApiServer({ env: { RATE_LIMIT_REGISTER_PER_IP: '2' } });
    try {
      const client = new Http(limited.url);
      await registerUser(client);
      await registerUser(client);
      const third = await client.post('/api/v1/auth/register', { email: uniqueEmail(), password: 'uncommon-pass-123' });
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });
});

describe('sessions', () => {
  test('logout answers 204 and revokes only that token', async () => {
    const alice = await registerUser(http, 'logout');
    const second = (await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token;
    const reply = await alice.http.post('/api/v1/auth/logout');
    expect(reply.status).toBe(204);
    const after = await alice.http.get('/api/v1/auth/profile');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    expect((await http.as(second).get('/api/v1/auth/profile')).status).toBe(200);
  });

  test('changing the password: wrong current password is a 400 naming current_password', async () => {
    const alice = await registerUser(http, 'pw-wrong');
    const reply = await alice.http.put('/api/v1/auth/password', { current_password: 'not it', new_password: 'new-password-1' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual([expect.objectContaining({ path: 'current_password' })]);
    // Nothing changed.
    expect((await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).status).toBe(200);
  });

  test('changing the password keeps the calling token, revokes the others and swaps the password', async () => {
    const alice = await registerUser(http, 'pw');
    const other = (await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).body.access_token;
    const reply = await alice.http.put('/api/v1/auth/password', { current_password: alice.password, new_password: 'brand-new-password' });
    expect(reply.status).toBe(204);
    expect((await alice.http.get('/api/v1/auth/profile')).status).toBe(200);
    expect((await http.as(other).get('/api/v1/auth/profile')).status).toBe(401);
    const old = await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('invalid_credentials');
    expect((await http.post('/api/v1/auth/login', { email: alice.email, password: 'brand-new-password' })).status).toBe(200);
  });

  test('the new password must be valid too', async () => {
    const alice = await registerUser(http, 'pw-short');
    const reply = await alice.http.put('/api/v1/auth/password', { current_password: alice.password, new_password: 'short' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['new_password']);
  });
});

describe('deleting the account', () => {
  test('answers 204, revokes the token and removes everything the user owned', async () => {
    const alice = await registerUser(http, 'gone');
    const agent = (await alice.http.post('/api/v1/agents', { name: 'a' })).body;
    const conversation = (await alice.http.post('/api/v1/conversations', { agent_id: agent.id })).body;
    const plain = (await alice.http.post('/api/v1/conversations', {})).body;
    expect((await alice.http.post(`/api/v1/conversations/${plain.id}/messages`, { content: 'hello' })).status).toBe(202);
    const secret = (await alice.http.post('/api/v1/secrets', { name: 'TOKEN', value: 'shh-secret' })).body;
    const key = (await alice.http.post('/api/v1/api-keys', { name: 'k', scopes: ['manage'] })).body;

    expect((await alice.http.request('DELETE', '/api/v1/auth/profile', { password: alice.password })).status).toBe(204);
    expect((await alice.http.get('/api/v1/auth/profile')).status).toBe(401);
    expect((await http.as(key.key).get('/api/v1/agents')).status).toBe(401);
    expect((await http.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).status).toBe(401);

    // The email is free again, and the new account sees nothing of the old one.
    const reborn = await http.post('/api/v1/auth/register', { email: alice.email, password: alice.password });
    expect(reborn.status).toBe(201);
    expect(reborn.body.user.id).not.toBe(alice.user.id);
    const again = http.as(reborn.body.access_token);
    for (const path of [`/agents/${agent.id}`, `/conversations/${conversation.id}`, `/conversations/${plain.id}/messages`]) {
      expect((await again.get(`/api/v1${path}`)).status, path).toBe(404);
    }
    expect((await again.delete(`/api/v1/secrets/${secret.id}`)).status).toBe(404);
    expect((await again.delete(`/api/v1/api-keys/${key.id}`)).status).toBe(404);
    for (const list of ['agents', 'conversations', 'secrets', 'api-keys']) {
      expect((await again.get(`/api/v1/${list}`)).body.data, list).toEqual([]);
    }
    // The old secret's name is free too.
    expect((await again.post('/api/v1/secrets', { name: 'TOKEN', value: 'x' })).status).toBe(201);
  });

  test('stops and removes a running agent', async () => {
    const alice = await registerUser(http, 'gone-running');
    const agent = (await alice.http.post('/api/v1/agents', { name: 'a' })).body;
    expect((await alice.http.post(`/api/v1/agents/${agent.id}/start`)).status).toBe(202);
    expect((await alice.http.request('DELETE', '/api/v1/auth/profile', { password: alice.password })).status).toBe(204);
    const bob = await registerUser(http, 'bystander');
    expect((await bob.http.get(`/api/v1/agents/${agent.id}`)).status).toBe(404);
  });
});

describe('access tokens', () => {
  const { jwtSigning } = deriveKeys(TEST_SECRET_KEY);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  let alice: Awaited<ReturnType<typeof registerUser>>;
  let claims: { sub: string; jti: string };
  beforeAll(async () => {
    alice = await registerUser(http, 'jwt');
    claims = jwt.decode(alice.token) as { sub: string; jti: string };
  });
  const profileWith = (token: string) => http.as(token).get('/api/v1/auth/profile');
  const sign = (payload: { sub?: string; jti?: string; exp?: number }, options: jwt.SignOptions = {}, key: jwt.Secret = jwtSigning) =>
    jwt.sign(payload, key, { algorithm: 'HS256', issuer: 'metisai', ...(payload.exp ? {} : { expiresIn: 3600 }), ...options });

  test('a token signed here with the derived key works (so the failures below are meaningful)', async () => {
    const reply = await profileWith(sign({ sub: claims.sub, jti: claims.jti }));
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(alice.user.id);
  });

  test.each([
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: claims.sub, jti: claims.jti, iss: 'metisai', exp: Math.floor(Date.now() / 1000) + 3600 })}.`,
    ],
    ['signed with another key', () => sign({ sub: claims.sub, jti: claims.jti }, {}, 'some-other-key-of-32-characters!!')],
    ['HS512 with the right key', () => sign({ sub: claims.sub, jti: claims.jti }, { algorithm: 'HS512' })],
    ['expired', () => sign({ sub: claims.sub, jti: claims.jti, exp: Math.floor(Date.now() / 1000) - 10 })],
    ['without jti', () => sign({ sub: claims.sub })],
    ['with the jti of no session', () => sign({ sub: claims.sub, jti: MISSING_ID })],
    ['another issuer', () => sign({ sub: claims.sub, jti: claims.jti }, { issuer: 'someone-else' })],
    ['another user on this session', () => sign({ sub: MISSING_ID, jti: claims.jti })],
    ['whose ids are not UUIDs', () => sign({ sub: 'not-a-uuid', jti: 'not-a-uuid' })],
    ['without sub', () => sign({ jti: claims.jti })],
    ['a tampered payload', () => alice.token.replace(/\.[^.]+\./, `.${b64({ sub: MISSING_ID, jti: claims.jti, iss: 'metisai' })}.`)],
  ])('a token %s is a 401', async (_name, token) => {
    const reply = await profileWith(token());
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe('unauthorized');
    expect(reply.headers.get('x-request-id')).toBe(reply.body.error.request_id);
  });

  test.each([
    ['no Authorization', undefined],
    ['a garbage bearer', 'Bearer garbage'],
    ['a garbage API key', 'Bearer metis_garbage'],
    ['Basic credentials', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a bare token', 'just-a-token'],
    ['an empty bearer', 'Bearer '],
  ])('%s is a 401', async (_name, authorization) => {
    const reply = await http.get('/api/v1/auth/profile', authorization ? { authorization } : {});
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe('unauthorized');
  });
});
