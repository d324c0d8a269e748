/**
 * `redisScript` against the real Redis: a script the server has never seen is sent whole once
 * (NOSCRIPT), then run by its SHA, with KEYS and ARGV in place.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, mock, test } from 'node:test';
import { storeConfigFrom, storeEnvSchema } from './config.js';
import { redisKey } from './redis-connection.js';
import { redisScript } from './redis-script.js';
import { createRedis } from './stores.js';

const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
const key = redisKey('script-test', randomBytes(4).toString('hex'));

after(async () => {
  await redis.del(key);
  redis.disconnect();
});

test('a new script is sent whole once, then run by its SHA; KEYS and ARGV arrive in order', async () => {
  // A source of its own: no server has loaded it, so the first EVALSHA is a NOSCRIPT.
  const script = redisScript(`-- ${randomBytes(8).toString('hex')}\nredis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])\nreturn redis.call('GET', KEYS[1])`);
  const evals = mock.method(redis, 'eval');
  try {
    assert.equal(await script.run(redis, [key], ['a', 7]), 'a:7');
    assert.equal(evals.mock.callCount(), 1, 'sent whole after the NOSCRIPT');
    assert.equal(await script.run(redis, [key], ['b', 8]), 'b:8');
    assert.equal(evals.mock.callCount(), 1, 'then run by its SHA');
  } finally {
    evals.mock.restore();
  }
  assert.equal(await redis.get(key), 'b:8');
});
