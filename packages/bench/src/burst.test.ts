import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureKind, lastDecisionS } from './burst.js';

test("a status request without an answer is named by its error: the client's timeout, a reset, anything else", () => {
  assert.equal(failureKind(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'TimeoutError');
  assert.equal(failureKind(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })), 'TypeError ECONNRESET');
  assert.equal(failureKind('not an error'), 'Error');
});

test('the stores decided the burst when its last draft was decided; unknown while any is not', () => {
  const start = Date.parse('2026-12-05T10:00:00Z');
  const at = (s: number) => new Date(start + s * 1000);
  assert.equal(lastDecisionS(start, [at(3), at(141.5), at(7)], 3), 141.5);
  assert.equal(lastDecisionS(start, [at(3), undefined], 2), undefined, 'one not decided');
  assert.equal(lastDecisionS(start, [at(3)], 2), undefined, 'one never found');
});
