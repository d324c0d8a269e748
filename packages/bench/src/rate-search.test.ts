import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchMaxRate } from './rate-search.js';

const upTo = (limit: number) => (rate: number) => Promise.resolve({ ok: rate <= limit, detail: rate });

test('steps up until a failure, then bisects', async () => {
  const result = await searchMaxRate(upTo(37), { startRate: 10, factor: 2, maxRate: 1_000, refineSteps: 3 });
  assert.deepEqual(result.steps.map((s) => s.rate), [10, 20, 40, 30, 35, 37.5]);
  assert.equal(result.maxRate, 35);
});

test('stops at maxRate when everything passes', async () => {
  const result = await searchMaxRate(upTo(1e9), { startRate: 10, factor: 2, maxRate: 80, refineSteps: 3 });
  assert.equal(result.maxRate, 80);
  assert.equal(result.steps.length, 4);
});

test('steps down when the start rate already fails', async () => {
  const result = await searchMaxRate(upTo(3), { startRate: 10, factor: 2, maxRate: 100, refineSteps: 1 });
  assert.deepEqual(result.steps.map((s) => s.rate), [10, 5, 2.5, 3.8]);
  assert.equal(result.maxRate, 2.5);
});

test('reports 0 when nothing passes', async () => {
  const result = await searchMaxRate(upTo(0), { startRate: 8, factor: 2, maxRate: 100, refineSteps: 2, minRate: 2 });
  assert.equal(result.maxRate, 0);
  assert.deepEqual(result.steps.map((s) => s.rate), [8, 4, 2]);
});
