import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, percentile, summarize } from './stats.js';

test('percentile is the nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('p99 of a small sample is its maximum', () => {
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
});

test('summarize sorts a copy', () => {
  const xs = [5, 1, 4, 2, 3];
  assert.deepEqual(summarize(xs), { n: 5, p50: 3, p99: 5, max: 5 });
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
});

test('median of odd and even counts, skipping failed rounds', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([Number.NaN, 5]), 5);
  assert.ok(Number.isNaN(median([])));
});
