import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureKind, lastDecisionS, progressOf } from './burst.js';

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

test("the burst's progress: when half, nine in ten and all of the drafts got there; never, for a share not reached", () => {
  const ten = [9, 1, 2, 3, 4, 5, 6, 7, 8, 10];
  assert.deepEqual(progressOf(ten, 10), { half: 5, most: 9, all: 10 });
  assert.deepEqual(progressOf([2, 1, 3, 4, 5, 6, 7, 8, 9], 10), { half: 5, most: 9, all: undefined }, 'one never accepted');
  assert.deepEqual(progressOf([], 4), { half: undefined, most: undefined, all: undefined });
});
