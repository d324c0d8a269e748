import assert from 'node:assert/strict';
import { test } from 'node:test';
import { remainingMs } from './sessions.js';

const limits = { idleSeconds: 60, absoluteSeconds: 600 };

test('a fresh session may idle for the idle time', () => {
  assert.equal(remainingMs(1_000_000, 1_000_000, limits), 60_000);
});

test('near its absolute end, a session may only live until that end', () => {
  assert.equal(remainingMs(0, 590_000, limits), 10_000);
});

test('at or past its absolute end, a session has ended however busy', () => {
  assert.ok(remainingMs(0, 600_000, limits) <= 0);
  assert.ok(remainingMs(0, 700_000, limits) < 0);
});
