import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyPerSecond } from './proc.js';

test('busyPerSecond sums the processes\' CPU over the window, per second, skipping a process gone or new', () => {
  const before = { redis: 1_000, mongo: 5_000, gone: 100 };
  const after = { redis: 1_050, mongo: 5_150, gone: Number.NaN, fresh: 40 };
  assert.equal(busyPerSecond(before, after, 2_000), 100);
  assert.equal(busyPerSecond(before, before, 1_000), 0);
});
