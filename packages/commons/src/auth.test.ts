import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { createLocalJWKSet, exportJWK, SignJWT } from 'jose';
import { bearerToken, createTokenVerifier, InvalidTokenError, TokenKeysUnavailableError, verifyToken } from './auth.js';

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
