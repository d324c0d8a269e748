import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, parseRetryAfter, retryDelay, type RetryPolicy } from './backoff.js';

const policy: RetryPolicy = { baseMs: 100, capMs: 5_000, maxRetryAfterMs: 60_000 };

test('full jitter: uniform below min(cap, base × 2^failures)', () => {
  assert.equal(backoffDelay(0, policy, () => 0.999), 99);
  assert.equal(backoffDelay(3, policy, () => 0.5), 400);
  assert.equal(backoffDelay(10, policy, () => 0.999), 4_995, 'capped');
  assert.equal(backoffDelay(1_000, policy, () => 0.999), 4_995, 'no overflow for many failures');
  assert.equal(backoffDelay(5, policy, () => 0), 0, 'can be zero: full jitter');
});

test('Retry-After is honoured: never sooner, a little jitter on top, bounded', () => {
  assert.equal(retryDelay(0, 3_000, policy, () => 0), 3_000);
  assert.equal(retryDelay(9, 3_000, policy, () => 0.5), 3_050);
  assert.equal(retryDelay(0, 7 * 86_400_000, policy, () => 0), 60_000);
  assert.equal(retryDelay(2, undefined, policy, () => 0.5), 200);
});

test('Retry-After as seconds or as an HTTP date', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now), 0, 'a date in the past: now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});
