import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CURRENT_PARAMS, hashPassword, needsRehash, verifyPassword } from './passwords.js';

test("a password hashes at OWASP's scrypt parameters, N=2^17 r=8 p=1, kept beside the hash", async () => {
  const stored = await hashPassword('correct horse');
  assert.match(stored, /^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.deepEqual(CURRENT_PARAMS, { N: 131_072, r: 8, p: 1 });
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsE', stored), false);
  assert.equal(needsRehash(stored), false);
});

test('the same password hashes differently each time (random salt)', async () => {
  assert.notEqual(await hashPassword('test'), await hashPassword('test'));
});

test('a hash made with older parameters still verifies, and asks to be re-hashed', async () => {
  const old = await hashPassword('correct horse', { N: 16_384, r: 8, p: 1 });
  assert.match(old, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', old), true);
  assert.equal(await verifyPassword('wrong', old), false);
  assert.equal(needsRehash(old), true);
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('test', 'plain-text'), false);
  assert.equal(await verifyPassword('test', 'md5$abc'), false);
  assert.equal(needsRehash('plain-text'), true);
});

test('parameters past the bounds (a damaged or planted hash) are refused without hashing', async () => {
  const good = await hashPassword('x', { N: 1024, r: 8, p: 1 });
  const [, , r, p, salt, hash] = good.split('$');
  for (const n of [2 ** 24, 1000, 0]) {
    const started = Date.now();
    assert.equal(await verifyPassword('x', ['scrypt', n, r, p, salt, hash].join('$')), false, `N=${n}`);
    assert.ok(Date.now() - started < 1_000);
  }
});
