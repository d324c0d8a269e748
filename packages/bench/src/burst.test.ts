import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureKind } from './burst.js';

test("a status request without an answer is named by its error: the client's timeout, a reset, anything else", () => {
  assert.equal(failureKind(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'TimeoutError');
  assert.equal(failureKind(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })), 'TypeError ECONNRESET');
  assert.equal(failureKind('not an error'), 'Error');
});
