/** The login throttle against the real Redis, under a key prefix of its own. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createLogger, createRedis, readEnv, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { LoginThrottle, usernameKey } from './login-throttle.js';

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

test('a username is refused after its limit of attempts, until the window ends', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:a`);
  for (let i = 0; i < limits.perUsername; i++) {
    assert.deepEqual(await throttle.attempt('Registrar', '10.0.0.1'), { allowed: true }, `try ${i + 1}`);
  }
  const refused = await throttle.attempt('registrar ', '10.0.0.2');
  assert.equal(refused.allowed, false, 'the same username, in any case and from anywhere');
  assert.ok(!refused.allowed && refused.by === 'username');
  assert.ok(!refused.allowed && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= limits.windowSeconds);
  assert.deepEqual(await throttle.attempt('field.agent', '10.0.0.1'), { allowed: true }, 'another user from the same address');
  assert.ok(await redis.exists(`${prefix}:a:user:${usernameKey('registrar')}`), 'the key operators delete to let a user in');
});

test('40 attempts at once for one username: exactly the limit get through', async () => {
  const throttle = new LoginThrottle(redis, { ...limits, perUsername: 10, perAddress: 1_000 }, logger, `${prefix}:burst`);
  const checks = await Promise.all(Array.from({ length: 40 }, (_, i) => throttle.attempt('registrar', `10.1.0.${i}`)));
  assert.equal(checks.filter((c) => c.allowed).length, 10);
  assert.ok(checks.every((c) => c.allowed || c.by === 'username'));
});

test('an address is refused after its limit of attempts over any usernames', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:b`);
  for (let i = 0; i < limits.perAddress; i++) assert.equal((await throttle.attempt(`guess-${i}`, '10.0.0.9')).allowed, true);
  const refused = await throttle.attempt('someone-new', '10.0.0.9');
  assert.ok(!refused.allowed && refused.by === 'address');
  assert.deepEqual(await throttle.attempt('someone-new', '10.0.0.10'), { allowed: true });
});

test('a successful login forgets its username’s attempts and gives the address its attempt back', async () => {
  const throttle = new LoginThrottle(redis, limits, logger, `${prefix}:c`);
  for (let i = 0; i < limits.perUsername; i++) await throttle.attempt('registrar', '10.0.0.1');
  await throttle.succeeded('registrar', '10.0.0.1');
  assert.deepEqual(await throttle.attempt('registrar', '10.0.0.1'), { allowed: true });
  // Many users logging in from one office address (successes) never lock the address out.
  for (let i = 0; i < limits.perAddress * 2; i++) {
    assert.equal((await throttle.attempt(`user-${i}`, '10.0.0.50')).allowed, true, `login ${i + 1}`);
    await throttle.succeeded(`user-${i}`, '10.0.0.50');
  }
});

test('with Redis unreachable, logins are let through', async () => {
  const down = createRedis({ ...config.redis, port: 1 }, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  down.on('error', () => undefined);
  try {
    const throttle = new LoginThrottle(down, limits, logger, `${prefix}:d`);
    for (let i = 0; i < limits.perUsername + 2; i++) assert.deepEqual(await throttle.attempt('registrar', '10.0.0.1'), { allowed: true });
  } finally {
    down.disconnect();
  }
});
