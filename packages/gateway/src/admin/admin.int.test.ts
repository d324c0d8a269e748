/**
 * The admin routes of a real gateway (its own database and queues on the real stores), through
 * `server.inject` with a sysadmin's credentials: Bull Board's writes other than retry/promote
 * are refused and change nothing, retry/promote work and are audited, a browser write from
 * another origin is refused, pages without a session go to the login page, alerts can be
 * acknowledged once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { collections, createLogger, createMongo, createRedis, queueBase, queueConnection, storeConfigFrom, type AlertDocument } from '@steadfast/commons';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { readEnvironment } from '../environment.js';
import { LoginThrottle } from '../login-throttle.js';
import { createGateway, type Gateway } from '../server.js';
import { ADMIN_AUDIT_COLLECTION, type AdminAuditEntry } from './audit.js';

const id = randomBytes(4).toString('hex');
const env = readEnvironment({
  ...process.env,
  NODE_ENV: 'test',
  GATEWAY_PORT: '0',
  MONGO_DB: `admin_test_${id}`,
  RECORD_QUEUE_NAME: `admin-test-record-${id}`,
  EVENT_QUEUE_PREFIX: `admin-test-events-${id}`,
  ADMIN_COOKIE_PASSWORD: randomBytes(32).toString('hex'),
  // No auth service here: a login that gets past the throttle is answered 503.
  AUTH_URL: 'http://127.0.0.1:1',
  LOGIN_MAX_FAILURES: '2',
});
const Q = env.RECORD_QUEUE_NAME;
const stores = storeConfigFrom(env);
const mongo = createMongo(stores.mongo);
const db = collections(mongo.db(stores.mongo.dbName));
const auditTrail = mongo.db(stores.mongo.dbName).collection<AdminAuditEntry>(ADMIN_AUDIT_COLLECTION);
const queue = new Queue(Q, queueBase(queueConnection(stores.redis)));
let gateway: Gateway;

/** A sysadmin as the token strategy would have authenticated them (Hapi's inject credentials). */
const sysadmin = { strategy: 'steadfast-token', credentials: { user: { userId: 'u-admin', username: 'sysadmin', name: 'Jo Admin', via: 'token' } as never, scope: ['sysadmin'] } };
/** A script's request carries its token in this header (its check is what `sysadmin` stands in for). */
const script = { authorization: 'Bearer (checked by inject)' };
const BOARD = '/admin/queues/api/queues';

before(async () => {
  gateway = await createGateway(env, createLogger('gateway', { level: 'silent' }));
  // One failed, one completed and one delayed job, from a worker that is then closed.
  const events = new QueueEvents(Q, queueBase(queueConnection(stores.redis)));
  await events.waitUntilReady();
  const settled = (jobId: string) => new Promise<void>((resolve) => {
    const done = (args: { jobId: string }) => args.jobId === jobId && resolve();
    events.on('completed', done);
    events.on('failed', done);
  });
  const worker = new Worker(Q, (job) => {
    if (job.id?.startsWith('failed')) return Promise.reject(new Error('the search step failed: connect ECONNREFUSED'));
    return Promise.resolve('done');
  }, queueBase(queueConnection(stores.redis)));
  const waits = [settled('failed-1'), settled('done-1')];
  await queue.add('create', { userId: 'u1' }, { jobId: 'failed-1', attempts: 1 });
  await queue.add('create', { userId: 'u2' }, { jobId: 'done-1' });
  await Promise.all(waits);
  await worker.close();
  await events.close();
  await queue.add('create', { userId: 'u3' }, { jobId: 'delayed-1', delay: 3_600_000 });
});

after(async () => {
  await gateway?.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await mongo.db(stores.mongo.dbName).dropDatabase();
  await mongo.close();
});

/** What a refused write must leave as it found it. */
async function snapshot() {
  const jobs = await Promise.all(['failed-1', 'done-1', 'delayed-1'].map(async (jobId) => {
    const job = await queue.getJob(jobId);
    return { jobId, state: await job?.getState(), data: job?.data as unknown, delay: job?.opts.delay, priority: job?.opts.priority };
  }));
  return {
    counts: await queue.getJobCounts(),
    paused: await queue.isPaused(),
    concurrency: await queue.getGlobalConcurrency(),
    jobs,
  };
}

interface AppRoute { method: string | string[]; route: string | string[] }
const { appRoutes } = createRequire(import.meta.url)('@bull-board/api/dist/routes.js') as { appRoutes: { api: AppRoute[] } };

/** Every write route Bull Board has, minus retrying failed jobs and promoting delayed ones, with its parameters filled in. */
function destructiveRequests(): Array<{ method: string; url: string }> {
  const allowed = new Set(['put /api/queues/:queueName/:jobId/retry', 'put /api/queues/:queueName/:jobId/promote', 'put /api/queues/:queueName/promote']);
  const requests: Array<{ method: string; url: string }> = [];
  for (const route of appRoutes.api) {
    for (const method of [route.method].flat()) {
      for (const path of [route.route].flat()) {
        if (method === 'get' || allowed.has(`${method} ${path}`)) continue;
        const status = path.includes('/retry/') ? 'completed' : 'failed';
        const jobId = path.endsWith('/delay') || path.endsWith('/priority') ? 'delayed-1' : 'failed-1';
        const url = path.replace(':queueName', Q).replace(':jobId', jobId).replace(':queueStatus', status).replace(':schedulerId', 'none');
        requests.push({ method: method.toUpperCase(), url: `/admin/queues${url}` });
      }
    }
  }
  return requests;
}

test("every Bull Board write but retry/promote is refused for a sysadmin, and changes nothing", async () => {
  const before = await snapshot();
  const requests = destructiveRequests();
  assert.ok(requests.length >= 15, `${requests.length} write routes`);
  const body = { name: 'evil', data: { userId: 'someone-else', operation: 'create' }, options: {}, concurrency: 1, max: 1, duration: 1000, delay: 1, priority: 1 };
  for (const { method, url } of requests) {
    const response = await gateway.server.inject({ method, url, auth: sysadmin, headers: script, payload: body });
    assert.equal(response.statusCode, 403, `${method} ${url}: ${response.payload}`);
    assert.match(response.payload, /read-only except for retrying failed jobs and promoting delayed ones/, `${method} ${url}`);
  }
  assert.deepEqual(await snapshot(), before);
  assert.equal(await auditTrail.countDocuments({}), 0, 'a refused write is not an action');
});

test('a completed job cannot be retried; a failed one can, and the retry is audited', async () => {
  const completed = await gateway.server.inject({ method: 'PUT', url: `${BOARD}/${Q}/done-1/retry`, auth: sysadmin, headers: script });
  assert.equal(completed.statusCode, 409);
  assert.equal(await (await queue.getJob('done-1'))?.getState(), 'completed');

  const retried = await gateway.server.inject({ method: 'PUT', url: `${BOARD}/${Q}/failed-1/retry`, auth: sysadmin, headers: { ...script, 'x-correlation-id': `corr-${id}` } });
  assert.equal(retried.statusCode, 204, retried.payload);
  assert.equal(await (await queue.getJob('failed-1'))?.getState(), 'waiting');
  const entries = await auditTrail.find({ action: 'retry' }).toArray();
  assert.equal(entries.length, 1);
  assert.deepEqual(
    { actor: entries[0]?.actor, via: entries[0]?.via, target: entries[0]?.target, outcome: entries[0]?.outcome, correlationId: entries[0]?.correlationId },
    { actor: { userId: 'u-admin', username: 'sysadmin' }, via: 'token', target: { queue: Q, jobId: 'failed-1' }, outcome: { status: 204 }, correlationId: `corr-${id}` },
  );
  assert.ok(entries[0]!.at instanceof Date);
});

test('a delayed job can be promoted, and that is audited', async () => {
  const promoted = await gateway.server.inject({ method: 'PUT', url: `${BOARD}/${Q}/delayed-1/promote`, auth: sysadmin, headers: script });
  assert.equal(promoted.statusCode, 204, promoted.payload);
  assert.equal(await (await queue.getJob('delayed-1'))?.getState(), 'waiting');
  assert.equal(await auditTrail.countDocuments({ action: 'promote', 'target.jobId': 'delayed-1' }), 1);
});

test('a browser write from another origin is refused before anything runs', async () => {
  await queue.add('create', { userId: 'u4' }, { jobId: 'delayed-2', delay: 3_600_000 });
  for (const headers of [
    { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    { origin: 'http://localhost:1234', 'sec-fetch-site': 'same-site' },
    { origin: 'http://evil.example' },
    {},
  ]) {
    const response = await gateway.server.inject({ method: 'PUT', url: `${BOARD}/${Q}/delayed-2/promote`, auth: sysadmin, headers });
    assert.equal(response.statusCode, 403, JSON.stringify(headers));
  }
  assert.equal(await (await queue.getJob('delayed-2'))?.getState(), 'delayed');
  const sameOrigin = await gateway.server.inject({ method: 'PUT', url: `${BOARD}/${Q}/delayed-2/promote`, auth: sysadmin, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(sameOrigin.statusCode, 204, 'the same request from the console itself');
});

test('without credentials, pages go to the login page and the API answers 401', async () => {
  const page = await gateway.server.inject({ method: 'GET', url: '/admin/queues/queue/record?status=failed', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 302);
  assert.equal(page.headers['location'], `/admin/login?next=${encodeURIComponent('/admin/queues/queue/record?status=failed')}`);
  assert.equal((await gateway.server.inject({ method: 'GET', url: '/admin/alerts' })).statusCode, 302);
  const api = await gateway.server.inject({ method: 'GET', url: `${BOARD}` });
  assert.equal(api.statusCode, 401);
  assert.match(api.payload, /log in at \/admin\/login, or send Authorization: Bearer/);
  assert.equal((await gateway.server.inject({ method: 'GET', url: '/admin/alerts', headers: { accept: 'application/json' } })).statusCode, 401);
  const forged = await gateway.server.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: 'Bearer forged.token.value' } });
  assert.equal(forged.statusCode, 401, 'a bad token is refused, not sent to log in');
  const login = await gateway.server.inject({ method: 'GET', url: '/admin/login' });
  assert.equal(login.statusCode, 200);
  assert.match(login.payload, /<form method="post" action="\/admin\/login">/);
  assert.match(String(login.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(login.headers['x-frame-options'], 'DENY');
});

test('a login is a same-origin form post', async () => {
  const form = 'username=sysadmin&password=test';
  const crossSite = await gateway.server.inject({ method: 'POST', url: '/admin/login', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } });
  assert.equal(crossSite.statusCode, 403);
  const json = await gateway.server.inject({ method: 'POST', url: '/admin/login', payload: { username: 'sysadmin', password: 'test' }, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(json.statusCode, 415);
});

test('alerts: a page (JSON on request) with the open count; acknowledged once, audited once', async () => {
  const alert: AlertDocument = {
    _id: `${Q}:draft-<b>-1:1700000000000`, kind: 'job-exhausted', queue: Q, draftId: 'draft-<b>-1', step: 'search', attempts: 2,
    error: 'the search step failed: connect ECONNREFUSED', failedAt: new Date(1_700_000_000_000), createdAt: new Date(), delivered: {},
  };
  await db.alerts.insertOne(alert);
  const json = await gateway.server.inject({ method: 'GET', url: '/admin/alerts', auth: sysadmin, headers: { accept: 'application/json' } });
  assert.equal(json.statusCode, 200);
  assert.equal((json.result as { open: { total: number } }).open.total, 1);
  const page = await gateway.server.inject({ method: 'GET', url: '/admin/alerts', auth: sysadmin });
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.payload, new RegExp(`href="/admin/queues/queue/${Q}/draft-%3Cb%3E-1"`));
  assert.ok(!page.payload.includes('draft-<b>-1'), 'escaped');
  assert.match(page.payload, /id="open-count"><strong>1</);

  const url = `/admin/alerts/${encodeURIComponent(alert._id)}/acknowledge`;
  const ack = await gateway.server.inject({ method: 'POST', url, auth: sysadmin, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(ack.statusCode, 303);
  assert.equal(ack.headers['location'], '/admin/alerts');
  const again = await gateway.server.inject({ method: 'POST', url, auth: sysadmin, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(again.statusCode, 303);
  const after = await gateway.server.inject({ method: 'GET', url: '/admin/alerts', auth: sysadmin, headers: { accept: 'application/json' } });
  const listed = after.result as { open: { total: number }; alerts: Array<{ acknowledged?: { username: string } }> };
  assert.equal(listed.open.total, 0);
  assert.equal(listed.alerts[0]?.acknowledged?.username, 'sysadmin');
  assert.equal(await auditTrail.countDocuments({ action: 'acknowledge', 'target.alertId': alert._id }), 1);
  const unknown = await gateway.server.inject({ method: 'POST', url: '/admin/alerts/nope/acknowledge', auth: sysadmin, headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(unknown.statusCode, 404);
});

test('the board lists every queue Steadfast runs', async () => {
  const response = await gateway.server.inject({ method: 'GET', url: `${BOARD}`, auth: sysadmin });
  assert.equal(response.statusCode, 200);
  const queues = (response.result as { queues: Array<{ name: string; allowRetries: boolean; allowCompletedRetries: boolean }> }).queues;
  for (const q of queues) assert.deepEqual([q.allowRetries, q.allowCompletedRetries], [true, false], `${q.name}: the page offers retry for failed jobs only`);
  const names = queues.map((q) => q.name).sort();
  assert.deepEqual(names, [
    Q, `country-validation-${Q}`, ...[0, 1, 2, 3].map((p) => `${env.EVENT_QUEUE_PREFIX}-p${p}`), `notification-${Q}`, `record-outcome-${Q}`,
  ].sort());
});

test('the login page shares the failed-login throttle with the API; an attempt auth could not check is given back', async () => {
  const username = `nobody-${id}`;
  // An address of its own (TEST-NET-2), so the shared Redis's count for 127.0.0.1 is left alone.
  const remoteAddress = `198.51.100.${1 + (randomBytes(1)[0]! % 250)}`;
  const attempt = () => gateway.server.inject({
    method: 'POST', url: '/admin/login', payload: `username=${username}&password=guess`, remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
  });
  // Auth is unreachable here: each attempt is answered 503 and not held against the username.
  for (let i = 0; i < 3; i++) assert.equal((await attempt()).statusCode, 503, 'an attempt auth could not check');
  // Two guesses through the API (same limits, same keys; LOGIN_MAX_FAILURES is 2) use up the username.
  const redis = createRedis(stores.redis);
  try {
    const api = new LoginThrottle(redis, { perUsername: 2, perAddress: 100, windowSeconds: 900 }, createLogger('test', { level: 'silent' }));
    for (let i = 0; i < 2; i++) assert.equal((await api.attempt(username, '198.51.100.251')).allowed, true);
  } finally {
    redis.disconnect();
  }
  const refused = await attempt();
  assert.equal(refused.statusCode, 429, 'counted before the password is checked: auth is not asked');
  assert.ok(Number(refused.headers['retry-after']) > 0);
  assert.match(refused.payload, /too many failed logins for this username/);
  const entries = await auditTrail.find({ 'actor.username': username }, { sort: { at: 1 } }).toArray();
  assert.deepEqual(entries.map((e) => [e.action, e.outcome.status]), [['login-refused', 503], ['login-refused', 503], ['login-refused', 503], ['login-refused', 429]]);
});
