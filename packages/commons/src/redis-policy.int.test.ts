import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeConfigFrom, storeEnvSchema } from './config.js';
import { readRedisPolicy, redisPolicyProblems } from './redis-policy.js';
import { createRedis } from './stores.js';

test('the local Redis that npm run infra starts is safe for BullMQ', async () => {
  const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
  try {
    const policy = await readRedisPolicy(redis);
    assert.equal(policy.maxmemoryPolicy, 'noeviction');
    assert.equal(policy.aof, true);
    assert.deepEqual(redisPolicyProblems(policy), []);
  } finally {
    redis.disconnect();
  }
});
