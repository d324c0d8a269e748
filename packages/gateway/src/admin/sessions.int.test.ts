/** Admin sessions against the real Redis, under a prefix of this run. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { createRedis, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { AdminSessions } from './sessions.js';

const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
const prefix = `test:admin-session:${randomBytes(4).toString('hex')}`;
after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const admin = { userId: 'u1', username: 'sysadmin', name: 'Jo', scopes: ['sysadmin' as const] };

test('a session is read back by its id, and Redis holds only a hash of that id', async () => {
  const sessions = new AdminSessions(redis, { idleSeconds: 60, absoluteSeconds: 600 }, prefix);
  const { sessionId } = await sessions.create(admin);
  assert.deepEqual((await sessions.read(sessionId))?.user, admin);
  const keys = await redis.keys(`${prefix}:*`);
  assert.equal(keys.length, 1);
  assert.ok(!keys[0]!.includes(sessionId), 'the id itself is not the key');
  assert.ok(!(await redis.get(keys[0]!))!.includes(sessionId), 'nor in the value');
  assert.equal(await sessions.read(`${sessionId}x`), undefined, 'another id is no session');
  const ttl = await redis.pttl(keys[0]!);
  assert.ok(ttl > 55_000 && ttl <= 60_000, `idle TTL ${ttl}`);
});

test('logout ends a session at once', async () => {
  const sessions = new AdminSessions(redis, { idleSeconds: 60, absoluteSeconds: 600 }, prefix);
  const { sessionId } = await sessions.create(admin);
  await sessions.end(sessionId);
  assert.equal(await sessions.read(sessionId), undefined);
});

test('an unused session ends after the idle time; using it keeps it alive', async () => {
  const sessions = new AdminSessions(redis, { idleSeconds: 1, absoluteSeconds: 600 }, prefix);
  const idle = await sessions.create(admin);
  const busy = await sessions.create(admin);
  for (let i = 0; i < 4; i++) {
    await sleep(400);
    assert.ok(await sessions.read(busy.sessionId), `busy session alive after ${(i + 1) * 400} ms`);
  }
  assert.equal(await sessions.read(idle.sessionId), undefined, 'idle for 1.6 s > 1 s');
});

test('a session ends at its absolute end however busy, and its key is gone', async () => {
  let now = Date.now();
  const sessions = new AdminSessions(redis, { idleSeconds: 60, absoluteSeconds: 120 }, `${prefix}:abs`, () => now);
  const { sessionId } = await sessions.create(admin);
  now += 100_000;
  assert.ok(await sessions.read(sessionId), 'alive before its absolute end');
  now += 21_000;
  assert.equal(await sessions.read(sessionId), undefined, 'ended 121 s after login');
  assert.deepEqual(await redis.keys(`${prefix}:abs:*`), []);
});
