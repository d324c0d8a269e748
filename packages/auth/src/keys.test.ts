import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '@steadfast/commons';
import { readEnvironment } from './environment.js';
import { loadSigningKey } from './keys.js';

const pem = (type: 'ed25519' | 'rsa') =>
  (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519')).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();

test('an Ed25519 key, even with its newlines written as \\n, is used', async () => {
  const oneLine = pem('ed25519').replaceAll('\n', '\\n');
  const key = await loadSigningKey(readEnvironment({ NODE_ENV: 'test', AUTH_PRIVATE_KEY: oneLine }));
  assert.equal(key.jwk.alg, 'EdDSA');
  assert.equal(key.jwk.kid, key.kid);
});

test('a key of another type is refused at start, naming the variable', async () => {
  await assert.rejects(
    loadSigningKey(readEnvironment({ NODE_ENV: 'test', AUTH_PRIVATE_KEY: pem('rsa') })),
    (error: unknown) => error instanceof ConfigError && /AUTH_PRIVATE_KEY.*Ed25519/.test(error.message),
  );
});
