import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCEPTED_AT_SKEW_MS, mintRefusal } from './mint-policy.js';

const now = new Date('2026-12-05T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const active = { scopes: ['declare', 'register'] };
const disabled = { scopes: ['declare', 'register'], disabledAt: minutesAgo(10) };

test('an active user holding the action: minted, with or without acceptedAt', () => {
  assert.equal(mintRefusal(active, 'register', undefined, now), undefined);
  assert.equal(mintRefusal(active, 'register', minutesAgo(60 * 24), now), undefined);
});

test('never sysadmin, never an action the user does not hold', () => {
  assert.equal(mintRefusal({ scopes: ['sysadmin'] }, 'sysadmin', undefined, now)?.status, 403);
  assert.match(mintRefusal(active, 'validate', undefined, now)?.error ?? '', /does not hold the validate scope/);
});

test('a disabled user: only for work accepted before the disabling', () => {
  assert.equal(mintRefusal(disabled, 'register', minutesAgo(11), now), undefined, 'accepted while they worked there');
  assert.equal(mintRefusal(disabled, 'register', minutesAgo(10), now)?.status, 403, 'accepted at the very moment: refused');
  assert.equal(mintRefusal(disabled, 'register', minutesAgo(9), now)?.status, 403, 'accepted after');
  assert.match(mintRefusal(disabled, 'register', undefined, now)?.error ?? '', /the user is disabled/, 'no acceptedAt: refused');
  assert.equal(mintRefusal({ ...disabled, scopes: ['declare'] }, 'register', minutesAgo(11), now)?.status, 403, 'still only actions they hold');
});

test('an acceptedAt in the future is a bad request, beyond a minute of clock skew', () => {
  assert.equal(mintRefusal(active, 'register', new Date(now.getTime() + ACCEPTED_AT_SKEW_MS), now), undefined);
  assert.deepEqual(mintRefusal(disabled, 'register', new Date(now.getTime() + ACCEPTED_AT_SKEW_MS + 1), now), { status: 400, error: 'acceptedAt: must not be in the future' });
});
