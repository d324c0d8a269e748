import assert from 'node:assert/strict';
import { test } from 'node:test';
import { removalResults } from './objects.js';

test('a multi-object delete fails only the keys its answer names; a key already gone is removed', () => {
  const results = removalResults(
    ['a/0', 'b/0', 'c/0'],
    [null, { Error: { Key: 'b/0', Code: 'AccessDenied', Message: 'Access Denied.' } }, { Error: { Key: 'c/0', Code: 'NoSuchKey' } }],
  );
  assert.equal(results[0]?.ok, true);
  assert.equal(results[1]?.ok, false);
  assert.match(String((results[1] as { error: Error }).error.message), /could not remove b\/0: AccessDenied/);
  assert.equal(results[2]?.ok, true);
});

test('an empty (quiet) answer removes every key', () => {
  assert.deepEqual(
    removalResults(['a', 'b'], []).map((r) => r.ok),
    [true, true],
  );
});
