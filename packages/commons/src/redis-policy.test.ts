import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisPolicyProblems } from './redis-policy.js';

test('noeviction with AOF or RDB is safe', () => {
  assert.deepEqual(redisPolicyProblems({ maxmemoryPolicy: 'noeviction', aof: true, rdb: false }), []);
  assert.deepEqual(redisPolicyProblems({ maxmemoryPolicy: 'noeviction', aof: false, rdb: true }), []);
});

test('an evicting policy or no persistence is named, with the fix', () => {
  const problems = redisPolicyProblems({ maxmemoryPolicy: 'allkeys-lru', aof: false, rdb: false });
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /allkeys-lru.*noeviction/);
  assert.match(problems[1]!, /appendonly yes/);
});
