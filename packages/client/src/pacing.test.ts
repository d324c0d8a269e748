import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Backoff, Limiter, TokenCache } from './pacing.js';

describe('Limiter', () => {
  test('never more than max at once, and every task runs', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          active += 1;
          most = Math.max(most, active);
          await sleep(5 + (i % 3));
          active -= 1;
          return i;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
  });

  test('a failing task frees its slot', async () => {
    const limiter = new Limiter(1);
    await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await limiter.run(() => Promise.resolve('next')), 'next');
  });

  test('a bound that is not a positive integer is refused', () => {
    assert.throws(() => new Limiter(0), /maxConcurrentRequests/);
  });
});

describe('Backoff', () => {
  const policy = { baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 };

  test('grows with consecutive failures, resets on success', () => {
    let now = 0;
    const backoff = new Backoff(policy, () => 0.999, () => now);
    assert.equal(backoff.delay(), 0);
    assert.equal(backoff.fail(0), 99);
    now = 1_000;
    assert.equal(backoff.fail(1_000), 199);
    now = 2_000;
    assert.equal(backoff.fail(2_000), 399);
    backoff.succeed();
    now = 3_000;
    assert.equal(backoff.fail(3_000), 99);
  });

  test('requests already in flight when a failure was counted do not grow the delay again', () => {
    let now = 0;
    const backoff = new Backoff(policy, () => 0.999, () => now);
    now = 10;
    backoff.fail(0);
    now = 11;
    backoff.fail(1);
    backoff.fail(2);
    now = 500;
    assert.equal(backoff.fail(3), 0, 'still the first failure: the delay had passed');
    now = 600;
    assert.equal(backoff.fail(600), 199, 'a request sent after it: the second failure');
  });

  test('Retry-After closes it at least that long', () => {
    const now = 0;
    const backoff = new Backoff(policy, () => 0, () => now);
    assert.equal(backoff.fail(0, 5_000), 5_000);
  });
});

describe('TokenCache', () => {
  test('asks once, again only after the token was refused; concurrent refusals ask once', async () => {
    let asked = 0;
    const cache = new TokenCache(() => `token-${++asked}`);
    assert.equal(await cache.get(), 'token-1');
    assert.equal(await cache.get(), 'token-1');
    cache.refused('token-1');
    cache.refused('token-1');
    assert.equal(await cache.get(), 'token-2');
    cache.refused('token-1');
    assert.equal(await cache.get(), 'token-2', 'an old token refused late does not drop the new one');
    assert.equal(asked, 2);
  });

  test('a provider that failed is asked again', async () => {
    let asked = 0;
    const cache = new TokenCache(() => {
      asked += 1;
      if (asked === 1) throw new Error('auth unreachable');
      return 'ok';
    });
    await assert.rejects(cache.get(), /unreachable/);
    await sleep(0);
    assert.equal(await cache.get(), 'ok');
  });
});
