import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import Hapi from '@hapi/hapi';
import { createLocalJWKSet, exportJWK, SignJWT } from 'jose';
import { credentialMatches, verifyToken } from './auth.js';
import { registerServiceCredential, registerTokenStrategy, tokenUserOf } from './hapi-auth.js';

const SECRET = 's'.repeat(40);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
const sign = (audience: string, claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setSubject('user-1').setIssuer('steadfast-auth').setAudience(audience).setIssuedAt().setExpirationTime('1h').sign(privateKey);

function server() {
  const s = Hapi.server();
  registerServiceCredential(s, 'workflow', { service: 'workflow', secret: SECRET, scope: ['mint'] });
  registerServiceCredential(s, 'other', { service: 'other', secret: 'o'.repeat(40), scope: ['other'] });
  registerTokenStrategy(s, 'user', { verify: (token) => verifyToken(token, keys, 'user') });
  registerTokenStrategy(s, 'narrowed', { verify: (token) => verifyToken(token, keys, 'internal') });
  s.route({ method: 'POST', path: '/mint', options: { auth: { strategy: 'workflow', access: { scope: 'mint' } } }, handler: () => 'minted' });
  s.route({ method: 'POST', path: '/needs-other-scope', options: { auth: { strategy: 'workflow', access: { scope: 'other' } } }, handler: () => 'no' });
  s.route({ method: 'GET', path: '/admin', options: { auth: { strategy: 'user', access: { scope: 'sysadmin' } } }, handler: (r) => tokenUserOf(r).userId });
  s.route({ method: 'POST', path: '/register', options: { auth: { strategy: 'narrowed', access: { scope: 'register' } } }, handler: (r) => tokenUserOf(r).recordId ?? '' });
  return s;
}

const call = async (s: Hapi.Server, method: string, url: string, authorization?: string) =>
  (await s.inject({ method, url, headers: authorization ? { authorization } : {} })).statusCode;

test('a service credential: none or a wrong one is 401, the right one passes, a scope it lacks is 403', async () => {
  const s = server();
  assert.equal(await call(s, 'POST', '/mint'), 401);
  assert.equal(await call(s, 'POST', '/mint', `Bearer ${SECRET.slice(0, -1)}x`), 401);
  assert.equal(await call(s, 'POST', '/mint', `Bearer ${'o'.repeat(40)}`), 401, "another caller's secret");
  assert.equal(await call(s, 'POST', '/mint', `Basic ${SECRET}`), 401);
  assert.equal(await call(s, 'POST', '/mint', `Bearer ${SECRET}`), 200);
  assert.equal(await call(s, 'POST', '/needs-other-scope', `Bearer ${SECRET}`), 403);
});

test('a user token is refused where a narrowed token is expected, and the reverse', async () => {
  const s = server();
  const user = await sign('steadfast', { scope: ['sysadmin', 'register'] });
  const narrowed = await sign('steadfast-internal', { scope: ['register', 'sysadmin'], record: 'rec-1' });
  assert.equal(await call(s, 'GET', '/admin', `Bearer ${user}`), 200);
  assert.equal(await call(s, 'GET', '/admin', `Bearer ${narrowed}`), 401);
  assert.equal(await call(s, 'POST', '/register', `Bearer ${narrowed}`), 200);
  assert.equal(await call(s, 'POST', '/register', `Bearer ${user}`), 401);
  // A token of the right audience but the wrong shape: a user token naming a record, a narrowed one naming none.
  assert.equal(await call(s, 'GET', '/admin', `Bearer ${await sign('steadfast', { scope: ['sysadmin'], record: 'rec-1' })}`), 401);
  assert.equal(await call(s, 'POST', '/register', `Bearer ${await sign('steadfast-internal', { scope: ['register'] })}`), 401);
});

test('credentialMatches compares whole secrets of any length', () => {
  assert.equal(credentialMatches(SECRET, SECRET), true);
  assert.equal(credentialMatches(`${SECRET}x`, SECRET), false);
  assert.equal(credentialMatches('', SECRET), false);
  assert.equal(credentialMatches(undefined, SECRET), false);
});
