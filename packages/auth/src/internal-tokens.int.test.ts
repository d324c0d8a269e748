/**
 * Auth's internal token endpoint and the login edge, against the real MongoDB in a database of
 * its own: only the workflow's credential mints, only actions the user holds, never sysadmin,
 * never for a disabled user; narrowed tokens are not user tokens; login is JSON only; an old
 * password hash is brought up to the current parameters by the login that proves it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger, InvalidTokenError, verifyToken } from '@steadfast/commons';
import { createLocalJWKSet } from 'jose';
import { readEnvironment } from './environment.js';
import { hashPassword } from './passwords.js';
import { createAuth, type AuthService } from './server.js';

const dbName = `auth_tokens_test_${randomBytes(4).toString('hex')}`;
const SECRET = randomBytes(32).toString('base64url');
let dir: string;
let auth: AuthService;
const ids: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steadfast-auth-'));
  auth = await createAuth(
    readEnvironment({ ...process.env, NODE_ENV: 'test', AUTH_SEED_DEMO_USERS: 'true', AUTH_INTERNAL_SECRET: SECRET, AUTH_PORT: '0', MONGO_DB: dbName, AUTH_KEY_FILE: join(dir, 'key.pem') }),
    createLogger('auth', { level: 'silent' }),
  );
  // The first login waits for the directory (indexes, demo users).
  assert.equal((await login({ username: 'registrar', password: 'test' })).statusCode, 200);
  for (const user of await auth.directory.users.find({}).toArray()) ids[user.username] = user._id;
});

after(async () => {
  await auth.directory.users.db.dropDatabase();
  await auth.close();
  await rm(dir, { recursive: true, force: true });
});

function login(payload: object, contentType = 'application/json') {
  return auth.server.inject({ method: 'POST', url: '/auth/authenticate', headers: { 'content-type': contentType }, payload: contentType === 'application/json' ? payload : new URLSearchParams(payload as Record<string, string>).toString() });
}

const mint = (body: object, authorization?: string) =>
  auth.server.inject({ method: 'POST', url: '/internal/tokens', headers: authorization ? { authorization } : {}, payload: body });

const keys = async () => createLocalJWKSet((await auth.server.inject('/.well-known/jwks.json')).result as { keys: [] });

test('minting without the credential, or with a wrong one, is 401', async () => {
  const request = { userId: ids['registrar'], recordId: 'rec-1', action: 'register' };
  assert.equal((await mint(request)).statusCode, 401);
  assert.equal((await mint(request, `Bearer ${SECRET.slice(1)}x`)).statusCode, 401);
  const userToken = ((await login({ username: 'sysadmin', password: 'test' })).result as { token: string }).token;
  assert.equal((await mint(request, `Bearer ${userToken}`)).statusCode, 401, 'a user token is no service credential');
});

test('only actions the user holds are minted, and never sysadmin', async () => {
  const bearer = `Bearer ${SECRET}`;
  assert.equal((await mint({ userId: ids['field.agent'], recordId: 'rec-1', action: 'register' }, bearer)).statusCode, 403);
  assert.equal((await mint({ userId: ids['field.agent'], recordId: 'rec-1', action: 'sysadmin' }, bearer)).statusCode, 403);
  assert.equal((await mint({ userId: ids['sysadmin'], recordId: 'rec-1', action: 'sysadmin' }, bearer)).statusCode, 403, 'not even for a sysadmin');
  assert.equal((await mint({ userId: 'nobody', recordId: 'rec-1', action: 'declare' }, bearer)).statusCode, 404);
  const ok = await mint({ userId: ids['registrar'], recordId: 'rec-1', action: 'register' }, bearer);
  assert.equal(ok.statusCode, 200);
  const { token } = ok.result as { token: string };
  const narrowed = await verifyToken(token, await keys(), 'internal');
  assert.deepEqual(narrowed.scopes, ['register']);
  assert.equal(narrowed.recordId, 'rec-1');
  // The narrowed token is not a user token: the gateway's verifier (and auth's own) refuse it.
  await assert.rejects(verifyToken(token, await keys(), 'user'), InvalidTokenError);
  const patch = await auth.server.inject({ method: 'PATCH', url: `/users/${ids['registrar']}`, headers: { authorization: `Bearer ${token}` }, payload: { name: 'Mallory' } });
  assert.equal(patch.statusCode, 401);
});

test('login is JSON only: form-encoded is 415 and not even checked', async () => {
  const form = await login({ username: 'registrar', password: 'test' }, 'application/x-www-form-urlencoded');
  assert.equal(form.statusCode, 415);
  assert.equal((await login({ username: 'registrar', password: 'test' }, 'text/plain')).statusCode, 415);
  assert.equal((await login({ username: 'registrar', password: 'test' })).statusCode, 200);
});

test('a login with an outdated hash succeeds and re-hashes at the current parameters', async () => {
  const old = await hashPassword('test', { N: 16_384, r: 8, p: 1 });
  await auth.directory.users.updateOne({ _id: ids['registration.agent'] }, { $set: { passwordHash: old } });
  assert.equal((await login({ username: 'registration.agent', password: 'test' })).statusCode, 200);
  const stored = (await auth.directory.users.findOne({ _id: ids['registration.agent'] }))?.passwordHash ?? '';
  assert.match(stored, /^scrypt\$131072\$8\$1\$/);
  assert.equal((await login({ username: 'registration.agent', password: 'test' })).statusCode, 200);
});

test('a disabled user can neither log in nor be minted a token', async () => {
  await auth.directory.create({ username: 'temp.agent', name: 'Temp Agent', office: 'HQ', scopes: ['declare'], password: 'long enough password' });
  const user = await auth.directory.findByUsername('temp.agent');
  assert.equal((await login({ username: 'temp.agent', password: 'long enough password' })).statusCode, 200);
  assert.equal(await auth.directory.disable('temp.agent'), true);
  const refused = await login({ username: 'temp.agent', password: 'long enough password' });
  assert.equal(refused.statusCode, 401);
  assert.deepEqual(refused.result, (await login({ username: 'temp.agent', password: 'wrong' })).result, 'same answer as a wrong password');
  assert.equal((await mint({ userId: user?._id, recordId: 'rec-1', action: 'declare' }, `Bearer ${SECRET}`)).statusCode, 403);
});

test("a disabled user's work accepted before the disabling is still done; after it, or undated, refused", async () => {
  await auth.directory.create({ username: 'leaving.registrar', name: 'Leaving Registrar', office: 'HQ', scopes: ['register'], password: 'long enough password' });
  const user = await auth.directory.findByUsername('leaving.registrar');
  const before = new Date(Date.now() - 60_000).toISOString();
  assert.equal(await auth.directory.disable('leaving.registrar'), true);
  const disabledAt = (await auth.directory.users.findOne({ _id: user?._id }))?.disabledAt;
  assert.ok(disabledAt);
  const request = (acceptedAt?: string) => ({ userId: user?._id, recordId: 'rec-2', action: 'register', ...(acceptedAt ? { acceptedAt } : {}) });

  const minted = await mint(request(before), `Bearer ${SECRET}`);
  assert.equal(minted.statusCode, 200, 'a record accepted while they worked there is still sent to the country');
  const narrowed = await verifyToken((minted.result as { token: string }).token, await keys(), 'internal');
  assert.equal(narrowed.userId, user?._id);
  assert.deepEqual([narrowed.scopes, narrowed.recordId], [['register'], 'rec-2']);

  const after = await mint(request(new Date(disabledAt.getTime() + 1).toISOString()), `Bearer ${SECRET}`);
  assert.equal(after.statusCode, 403);
  assert.match((after.result as { error: string }).error, /the user is disabled/);
  assert.equal((await mint(request(), `Bearer ${SECRET}`)).statusCode, 403, 'a request that does not say when its work was accepted');
  assert.equal((await mint(request(new Date(Date.now() + 3_600_000).toISOString()), `Bearer ${SECRET}`)).statusCode, 400, 'acceptedAt in the future');
  assert.equal((await mint({ ...request(before), acceptedAt: 'yesterday' }, `Bearer ${SECRET}`)).statusCode, 400);
});
