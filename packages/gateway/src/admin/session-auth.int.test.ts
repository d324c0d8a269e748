/**
 * The admin session strategy against the real Redis: a session of a user disabled since they
 * logged in ends at its next request (the cookie is refused and the session is gone), while
 * other users' sessions go on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import Hapi from '@hapi/hapi';
import { createLogger, createRedis, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { registerSessionAuth, SESSION_COOKIE, SESSION_STRATEGY } from './auth.js';
import { AdminSessions } from './sessions.js';

const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis);
const prefix = `test:admin-session-auth:${randomBytes(4).toString('hex')}`;
const sessions = new AdminSessions(redis, { idleSeconds: 60, absoluteSeconds: 600 }, prefix);
const disabled = new Set<string>();
const server = Hapi.server();

before(async () => {
  await registerSessionAuth(server, {
    sessions,
    password: randomBytes(32).toString('hex'),
    secure: false,
    logger: createLogger('gateway', { level: 'silent' }),
    isDisabled: (userId) => disabled.has(userId),
  });
  server.route({ method: 'GET', path: '/admin/whoami', options: { auth: { strategy: SESSION_STRATEGY, access: { scope: 'sysadmin' } } }, handler: (request) => request.auth.credentials.user as object });
  await server.initialize();
});

after(async () => {
  await server.stop();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** The Cookie header a browser holding this session sends. */
async function cookieOf(sessionId: string): Promise<string> {
  const header = await server.states.format([{ name: SESSION_COOKIE, value: { sid: sessionId } as unknown as string, options: {} }]);
  return [header].flat()[0]!.split(';')[0]!;
}

test('a session of a user disabled since login ends at its next request; other sessions go on', async () => {
  const leaver = await sessions.create({ userId: 'u-leaver', username: 'leaver', name: 'Leaver', scopes: ['sysadmin'] });
  const stayer = await sessions.create({ userId: 'u-stayer', username: 'stayer', name: 'Stayer', scopes: ['sysadmin'] });
  const ask = async (sessionId: string) => server.inject({ method: 'GET', url: '/admin/whoami', headers: { cookie: await cookieOf(sessionId) } });
  assert.equal((await ask(leaver.sessionId)).statusCode, 200);

  disabled.add('u-leaver');
  assert.equal((await ask(leaver.sessionId)).statusCode, 401);
  assert.equal(await sessions.read(leaver.sessionId), undefined, 'the session is ended, not only refused');
  disabled.clear();
  assert.equal((await ask(leaver.sessionId)).statusCode, 401, 'and stays ended');

  const answer = await ask(stayer.sessionId);
  assert.equal(answer.statusCode, 200);
  assert.equal((answer.result as { userId: string }).userId, 'u-stayer');
});
