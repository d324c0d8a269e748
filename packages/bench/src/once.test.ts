import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onceIn, onceOk } from './once.js';

const drafts = ['a', 'b', 'c'];

test('each draft with its own document and the store grown by as many: sound', () => {
  const check = onceIn(drafts, [{ draftId: 'a' }, { draftId: 'b' }, { draftId: 'c' }], 3);
  assert.deepEqual(check, { found: 3, extra: 0 });
  assert.ok(onceOk(check, 3));
});

test('a second document for one draft, under another id, shows as extra', () => {
  // Read by id, only one of the two is seen; the growth of the store shows the other.
  const check = onceIn(drafts, [{ draftId: 'a' }, { draftId: 'b' }, { draftId: 'c' }], 4);
  assert.deepEqual(check, { found: 3, extra: 1 });
  assert.ok(!onceOk(check, 3));
});

test('two documents read for one draft (two audit actions) count it once; the growth shows the second', () => {
  const check = onceIn(drafts, [{ draftId: 'a' }, { draftId: 'a' }, { draftId: 'b' }, { draftId: 'c' }], 4);
  assert.deepEqual(check, { found: 3, extra: 1 });
  assert.ok(!onceOk(check, 3));
});

test('a missing draft is not made up for by a stray document', () => {
  const check = onceIn(drafts, [{ draftId: 'a' }, { draftId: 'b' }, { draftId: 'zz' }], 3);
  assert.deepEqual(check, { found: 2, extra: 1 });
  assert.ok(!onceOk(check, 3));
});
