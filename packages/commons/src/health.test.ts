import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkDependencies } from './health.js';

test('a report is ok only when every dependency is up', async () => {
  const report = await checkDependencies({
    fast: async () => {},
    broken: () => Promise.reject(new Error('connection refused')),
  });
  assert.equal(report.status, 'degraded');
  assert.equal(report.dependencies['fast']?.status, 'up');
  assert.equal(report.dependencies['broken']?.status, 'down');
  assert.equal(report.dependencies['broken']?.error, 'connection refused');
});

test('a dependency that does not answer in time is down, and does not hold the report', async () => {
  const started = Date.now();
  const report = await checkDependencies({ hanging: () => sleep(10_000, undefined, { ref: false }) }, 100);
  assert.equal(report.dependencies['hanging']?.status, 'down');
  assert.match(report.dependencies['hanging']?.error ?? '', /no answer within 100 ms/);
  assert.ok(Date.now() - started < 2_000);
});
