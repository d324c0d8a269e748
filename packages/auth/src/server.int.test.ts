/**
 * Auth against the real MongoDB, in a database of its own: login, tokens every service can
 * verify through the published keys, demo users in development only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError, createLogger, InvalidTokenError, verifyToken } from '@steadfast/commons';
import { createLocalJWKSet } from 'jose';
import { readEnvironment } from './environment.js';
import { createAuth, type AuthService } from './server.js';

const dbName = `auth_test_${randomBytes(4).toString('hex')}`;
let dir: string;
let auth: AuthService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steadfast-auth-'));
  auth = await createAuth(
    readEnvironment({ ...process.env, NODE_ENV: 'development', AUTH_PORT: '0', MONGO_DB: dbName, AUTH_KEY_FILE: join(dir, 'key.pem') }),
    createLogger('auth', { level: 'silent' }),
  );
});

after(async () => {
  await auth.directory.users.db.dropDatabase();
  await auth.close();
  await rm(dir, { recursive: true, force: true });
});

const login = (payload: unknown) => auth.server.inject({ method: 'POST', url: '/auth/authenticate', payload: payload as object });

test('a demo user logs in and gets a token the published keys verify, with its scopes', async () => {
  const response = await login({ username: 'registrar', password: 'test' });
  assert.equal(response.statusCode, 200);
  const { token } = response.result as { token: string };
  const jwks = (await auth.server.inject('/.well-known/jwks.json')).result as { keys: [] };
  const user = await verifyToken(token, createLocalJWKSet(jwks));
  assert.deepEqual(user.scopes, ['declare', 'validate', 'register', 'correct']);
  assert.equal(user.name, 'Kennedy Mweene');
  await assert.rejects(verifyToken(`${token.slice(0, -4)}AAAA`, createLocalJWKSet(jwks)), InvalidTokenError);
});

test('a wrong password and an unknown user get the same 401', async () => {
  const wrong = await login({ username: 'registrar', password: 'nope' });
  const unknown = await login({ username: 'nobody', password: 'test' });
  assert.equal(wrong.statusCode, 401);
  assert.equal(unknown.statusCode, 401);
  assert.deepEqual(wrong.result, unknown.result);
});

test('a malformed login names the field', async () => {
  const response = await login({ username: 'registrar' });
  assert.equal(response.statusCode, 400);
  assert.match(JSON.stringify(response.result), /password/);
});

test('seeding again keeps the users and their ids; the key file is private', async () => {
  const before = await auth.directory.users.find({}, { sort: { username: 1 } }).toArray();
  await auth.directory.seedDemoUsers();
  const afterSeed = await auth.directory.users.find({}, { sort: { username: 1 } }).toArray();
  assert.equal(before.length, 4);
  assert.deepEqual(afterSeed.map((u) => u._id), before.map((u) => u._id));
  assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);
});

test('production (also NODE_ENV unset) refuses to start without its key and credential, naming both; never seeds demo users', () => {
  for (const env of [{ NODE_ENV: 'production' }, {}]) {
    assert.throws(
      () => readEnvironment(env),
      (e: unknown) => e instanceof ConfigError && /AUTH_PRIVATE_KEY: required in production/.test(e.message) && /AUTH_INTERNAL_SECRET: required in production/.test(e.message),
    );
  }
  const secrets = { AUTH_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----x', AUTH_INTERNAL_SECRET: 'i'.repeat(32) };
  assert.equal(readEnvironment(secrets).NODE_ENV, 'production');
  assert.throws(() => readEnvironment({ ...secrets, AUTH_SEED_DEMO_USERS: 'true' }), /AUTH_SEED_DEMO_USERS/);
});

test('/health reports the user directory', async () => {
  const body = (await auth.server.inject('/health')).result as { dependencies: Record<string, { status: string }> };
  assert.equal(body.dependencies['mongo']?.status, 'up');
});
