import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueCount, runOpenLoop, sendOffsets } from './open-loop.js';

test('sendOffsets spaces requests evenly', () => {
  assert.deepEqual(sendOffsets(4, 1_000), [0, 250, 500, 750]);
  assert.equal(sendOffsets(10, 2_500).length, 25);
  assert.deepEqual(sendOffsets(0, 1_000), []);
  assert.equal(sendOffsets(0.5, 1_000).length, 1);
});

test('dueCount counts offsets at or before the elapsed time', () => {
  const offsets = [0, 250, 500, 750];
  assert.equal(dueCount(offsets, -1), 0);
  assert.equal(dueCount(offsets, 0), 1);
  assert.equal(dueCount(offsets, 499), 2);
  assert.equal(dueCount(offsets, 500), 3);
  assert.equal(dueCount(offsets, 10_000), 4);
});

test('runOpenLoop fires every request without waiting for earlier answers', async () => {
  let pending = 0;
  let maxPending = 0;
  const releases: Array<() => void> = [];
  const run = runOpenLoop({
    ratePerS: 1_000,
    durationMs: 20,
    fire: async (i, intendedAt) => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      // Held until every request has been fired: a closed loop would stop after the first.
      await new Promise<void>((resolve) => releases.push(resolve));
      pending--;
      return { i, intendedAt };
    },
  });
  while (releases.length < 20) await new Promise((r) => setImmediate(r));
  assert.equal(maxPending, 20);
  for (const release of releases) release();
  const { results } = await run;
  assert.equal(results.length, 20);
  const intended = results.map((r) => (r.status === 'fulfilled' ? r.value.intendedAt : NaN));
  for (let i = 1; i < intended.length; i++) assert.ok(intended[i]! > intended[i - 1]!);
});
