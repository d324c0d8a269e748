import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { createLocalJWKSet, exportJWK, SignJWT } from 'jose';
import { bearerToken, cachedVerifier, createTokenVerifier, InvalidTokenError, TokenKeysUnavailableError, VERIFIED_TOKEN_TTL_MS, verifyToken } from './auth.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });

const sign = (claims: Record<string, unknown>, { audience = 'steadfast', expires = '1h' } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject('user-1')
    .setIssuer('steadfast-auth')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(privateKey);

test('a good token gives the user and scopes', async () => {
  assert.deepEqual(await verifyToken(await sign({ scope: ['declare'] }), keys), { userId: 'user-1', scopes: ['declare'] });
});

test('expired, wrong audience, unknown scope: invalid, with a reason', async () => {
  await assert.rejects(verifyToken(await sign({ scope: [] }, { expires: '-1m' }), keys), /expired/);
  await assert.rejects(verifyToken(await sign({ scope: [] }, { audience: 'other' }), keys), InvalidTokenError);
  await assert.rejects(verifyToken(await sign({ scope: ['root'] }), keys), InvalidTokenError);
  await assert.rejects(verifyToken('garbage', keys), InvalidTokenError);
});

test('an unreachable key set is reported as such, not as a bad token', async () => {
  const verify = createTokenVerifier('http://127.0.0.1:1/.well-known/jwks.json');
  await assert.rejects(verify(await sign({ scope: [] })), TokenKeysUnavailableError);
});

test('bearerToken reads only the Bearer scheme', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('a verified token is checked once, reused within its expiry and the TTL, then checked again', async () => {
  let clock = 1_000_000;
  const calls: string[] = [];
  const verify = cachedVerifier(
    (token) => {
      calls.push(token);
      if (token === 'forged') return Promise.reject(new InvalidTokenError('the token is not valid'));
      return Promise.resolve({ user: { userId: token, scopes: ['declare' as const] }, expiresAt: token === 'short' ? clock + 5_000 : clock + 3_600_000 });
    },
    { cacheSize: 2, now: () => clock },
  );
  assert.deepEqual(await verify('a'), { userId: 'a', scopes: ['declare'] });
  await verify('a');
  assert.deepEqual(calls, ['a'], 'the second presentation reuses the first check');
  // A refused token is never remembered: every presentation meets the full check.
  await assert.rejects(verify('forged'), InvalidTokenError);
  await assert.rejects(verify('forged'), InvalidTokenError);
  assert.deepEqual(calls, ['a', 'forged', 'forged']);
  // Never past the token's own expiry.
  await verify('short');
  clock += 5_000;
  await verify('short');
  assert.equal(calls.filter((c) => c === 'short').length, 2, 'an expired entry is checked again');
  // Never past the TTL either, however long the token lives.
  clock += VERIFIED_TOKEN_TTL_MS;
  await verify('a');
  assert.equal(calls.filter((c) => c === 'a').length, 2);
  // Bounded: a third token evicts the least recently used.
  await verify('b');
  await verify('c');
  await verify('short');
  assert.equal(calls.filter((c) => c === 'short').length, 3, 'evicted by newer tokens');
});

test('the verifier from a key set refuses a token signed by another key after caching a good one', async () => {
  const good = await sign({ scope: ['declare'] });
  const verify = cachedVerifier(async (token) => ({ user: await verifyToken(token, keys), expiresAt: Date.now() + 60_000 }));
  assert.equal((await verify(good)).userId, 'user-1');
  const other = generateKeyPairSync('ed25519').privateKey;
  const forged = await new SignJWT({ scope: ['sysadmin'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject('user-1')
    .setIssuer('steadfast-auth')
    .setAudience('steadfast')
    .setExpirationTime('1h')
    .sign(other);
  await assert.rejects(verify(forged), InvalidTokenError);
});
