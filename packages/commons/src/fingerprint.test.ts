import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, fingerprint } from './fingerprint.js';

test('key order does not change the fingerprint; values and array order do', () => {
  const a = { b: 1, a: { y: [1, 2], x: 'v' } };
  const b = { a: { x: 'v', y: [1, 2] }, b: 1 };
  assert.equal(canonicalJson(a), '{"a":{"x":"v","y":[1,2]},"b":1}');
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint({ ...b, b: 2 }));
  assert.notEqual(fingerprint({ y: [1, 2] }), fingerprint({ y: [2, 1] }));
});

test('undefined fields count as absent', () => {
  assert.equal(fingerprint({ a: 1, b: undefined }), fingerprint({ a: 1 }));
  assert.match(fingerprint({}), /^[0-9a-f]{64}$/);
});
