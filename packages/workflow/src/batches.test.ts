import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordInsertWaitMs, searchBatchWaitMs } from './batches.js';

test("a search write waits a tenth of the index's refresh interval for others, at most 100 ms, never less than the other calls", () => {
  assert.equal(searchBatchWaitMs('500ms', 5), 50);
  assert.equal(searchBatchWaitMs('1s', 5), 100);
  assert.equal(searchBatchWaitMs('30s', 5), 100, 'capped');
  assert.equal(searchBatchWaitMs('100ms', 20), 20, 'the other calls wait longer');
  assert.equal(searchBatchWaitMs('-1', 5), 5, 'refresh off (or a unit not read): the usual wait');
  assert.equal(searchBatchWaitMs('2m', 5), 5);
});

test("a new record's insert waits half the search write's wait, never less than the other calls'", () => {
  assert.equal(recordInsertWaitMs('500ms', 5), 25);
  assert.equal(recordInsertWaitMs('1s', 5), 50);
  assert.equal(recordInsertWaitMs('100ms', 5), 5, 'the usual wait');
  assert.equal(recordInsertWaitMs('500ms', 40), 40, 'the other calls wait longer');
  assert.equal(recordInsertWaitMs('soon', 5), 5, 'an interval not in ms or s');
});
