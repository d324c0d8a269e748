import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

test('a password verifies against its hash, a wrong one does not', async () => {
  const stored = await hashPassword('correct horse');
  assert.match(stored, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsE', stored), false);
});

test('the same password hashes differently each time (random salt)', async () => {
  assert.notEqual(await hashPassword('test'), await hashPassword('test'));
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('test', 'plain-text'), false);
  assert.equal(await verifyPassword('test', 'md5$abc'), false);
});
