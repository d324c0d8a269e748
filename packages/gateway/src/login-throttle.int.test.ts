/** The failed-login throttle against the real Redis, under a key prefix of its own. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createLogger, createRedis, readEnv, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { LoginThrottle } from './login-throttle.js';

const config = storeConfigFrom(readEnv(storeEnvSchema));
const redis = createRedis(config.redis);
const prefix = `test:login-failures:${randomBytes(4).toString('hex')}`;
const logger = createLogger('gateway', { level: 'silent' });
const limits = { perUsername: 3, perAddress: 5, windowSeconds: 60 };

after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('a username is refused after its limit of failures, until the window ends', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:a`);
  for (let i = 0; i < limits.perUsername; i++) {
    assert.deepEqual(await throttle.check('Registrar', '10.0.0.1'), { allowed: true }, `try ${i + 1}`);
    await throttle.failed('Registrar', '10.0.0.1');
  }
  const refused = await throttle.check('registrar ', '10.0.0.2');
  assert.equal(refused.allowed, false, 'the same username, in any case and from anywhere');
  assert.ok(!refused.allowed && refused.by === 'username');
  assert.ok(!refused.allowed && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= limits.windowSeconds);
  assert.deepEqual(await throttle.check('field.agent', '10.0.0.1'), { allowed: true }, 'another user from the same address');
});

test('an address is refused after its limit of failures over any usernames', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:b`);
  for (let i = 0; i < limits.perAddress; i++) await throttle.failed(`guess-${i}`, '10.0.0.9');
  const refused = await throttle.check('someone-new', '10.0.0.9');
  assert.ok(!refused.allowed && refused.by === 'address');
  assert.deepEqual(await throttle.check('someone-new', '10.0.0.10'), { allowed: true });
});

test('a successful login forgets its username’s failures', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:c`);
  for (let i = 0; i < limits.perUsername - 1; i++) await throttle.failed('registrar', '10.0.0.1');
  await throttle.succeeded('registrar', '10.0.0.1');
  await throttle.failed('registrar', '10.0.0.1');
  assert.deepEqual(await throttle.check('registrar', '10.0.0.1'), { allowed: true });
});

test('with Redis unreachable, logins are let through', async () => {
  const down = createRedis({ ...config.redis, port: 1 }, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  down.on('error', () => undefined);
  try {
    const throttle = new LoginThrottle(down, limits, logger, `${prefix}:d`);
    await throttle.failed('registrar', '10.0.0.1');
    assert.deepEqual(await throttle.check('registrar', '10.0.0.1'), { allowed: true });
  } finally {
    down.disconnect();
  }
});
