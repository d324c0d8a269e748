import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyLimitFor, checkHead, isMutation } from './body-limits.js';

const limits = { small: 64 * 1024, large: 70_000_000 };

test('a caller who may submit gets the attachment limit; anyone else the small one', () => {
  for (const scope of ['declare', 'validate', 'register', 'correct']) assert.equal(bodyLimitFor([scope], limits), limits.large, scope);
  assert.equal(bodyLimitFor(['sysadmin'], limits), limits.small);
  assert.equal(bodyLimitFor([], limits), limits.small);
});

test('any Content-Encoding but identity is refused, before the length is looked at', () => {
  for (const encoding of ['gzip', 'deflate', 'br', 'GZIP ']) {
    const verdict = checkHead({ contentEncoding: encoding, contentLength: '10', method: 'post' }, 100);
    assert.ok(!verdict.ok && verdict.status === 415 && verdict.code === 'UNSUPPORTED_CONTENT_ENCODING', encoding);
  }
  assert.deepEqual(checkHead({ contentEncoding: 'identity', contentLength: '10', method: 'post' }, 100), { ok: true });
});

test('a POST needs a Content-Length within the limit', () => {
  assert.ok(!checkHead({ method: 'post' }, 100).ok);
  assert.equal((checkHead({ method: 'post' }, 100) as { status: number }).status, 411);
  assert.equal((checkHead({ contentLength: '-1', method: 'post' }, 100) as { status: number }).status, 411);
  assert.equal((checkHead({ contentLength: '101', method: 'post' }, 100) as { status: number }).status, 413);
  assert.deepEqual(checkHead({ contentLength: '100', method: 'post' }, 100), { ok: true });
  assert.deepEqual(checkHead({ method: 'get' }, 100), { ok: true });
});

test('isMutation: the operation asked for, by name when there are several', () => {
  assert.equal(isMutation('mutation { a }', undefined, 100), true);
  assert.equal(isMutation('query { a }', undefined, 100), false);
  assert.equal(isMutation('{ a }', undefined, 100), false);
  assert.equal(isMutation('query Q { a } mutation M { b }', 'M', 100), true);
  assert.equal(isMutation('query Q { a } mutation M { b }', 'Q', 100), false);
  assert.equal(isMutation('query Q { a } mutation M { b }', undefined, 100), false, 'ambiguous');
  assert.equal(isMutation(`mutation { ${'a '.repeat(200)} }`, undefined, 100), false, 'over the token cap');
  assert.equal(isMutation(42, undefined, 100), false);
});
