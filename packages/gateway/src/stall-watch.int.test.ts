/**
 * The stall watch against the real Redis and MongoDB, under this test's own queue, outbox key
 * and database: two watchers stand for two gateways, a local HTTP server for the alert webhook,
 * and the watchers' clock is the test's, so that "five minutes without movement" takes no time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import {
  collections,
  createLogger,
  createMongo,
  createRedis,
  outboxHintKey,
  queueBase,
  readEnv,
  redisOptions,
  storeConfigFrom,
  storeEnvSchema,
  webhookChannel,
  workerBase,
  type AlertDocument,
  type Collections,
  type Redis,
} from '@steadfast/commons';
import { StallWatch } from './stall-watch.js';

const id = randomBytes(4).toString('hex');
const names = { MONGO_DB: `gw_stall_${id}` };
const config = storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, ...names }));
const logger = createLogger('gateway', { level: 'silent' });
const STALL = 300_000;

let mongo: ReturnType<typeof createMongo>;
let db: Collections;
let redis: Redis;
let webhook: Server;
let webhookUrl: string;
const posts: Array<{ key: string | undefined; body: { alert: AlertDocument } }> = [];
const queues: Queue[] = [];
let clock = 1_000_000;

before(async () => {
  mongo = createMongo(config.mongo);
  db = collections(mongo.db(config.mongo.dbName));
  await db.alerts.createIndex({ createdAt: -1 });
  redis = createRedis(config.redis, { enableAutoPipelining: true });
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      posts.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) as { alert: AlertDocument } });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;
});

after(async () => {
  for (const queue of queues) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.del(outboxHintKey(db.records));
  redis.disconnect();
  await mongo.db(config.mongo.dbName).dropDatabase();
  await mongo.close();
  webhook.close();
});

function newQueue(suffix: string): Queue {
  const queue = new Queue(`gw-stall-${id}-${suffix}`, queueBase(redisOptions(config.redis)));
  queues.push(queue);
  return queue;
}

/** A gateway's watch, on the test's clock. */
const watcher = (queueNames: string[]): StallWatch =>
  new StallWatch(redis, db, { stallMs: STALL, checkMs: 60_000, queues: queueNames, logger, channels: [webhookChannel(webhookUrl)], now: () => clock });

const alertsOf = (kind: AlertDocument['kind']) => db.alerts.find({ kind }).toArray();

test('a queue nobody takes jobs from raises one alert for all gateways, delivered once; it is marked resolved when a worker takes the jobs', async () => {
  const queue = newQueue('idle');
  for (const jobId of ['first', 'second', 'third']) await queue.add('record', { n: jobId }, { jobId });
  const gateways = [watcher([queue.name]), watcher([queue.name])];
  const checkAll = () => Promise.all(gateways.map((g) => g.check()));

  await checkAll();
  clock += STALL - 1;
  await checkAll();
  assert.deepEqual(await alertsOf('queue-stalled'), [], 'not before the stall time');

  clock += 1;
  await checkAll();
  await checkAll();
  const [alert, ...more] = await alertsOf('queue-stalled');
  assert.equal(more.length, 0, 'one alert however many gateways see the stall');
  assert.ok(alert && alert.kind === 'queue-stalled');
  assert.equal(alert.queue, queue.name);
  assert.equal(alert.oldestJobId, 'first', 'the oldest waiting job');
  assert.equal(alert.waiting, 3);
  assert.ok(alert.delivered.webhook, 'delivery recorded');
  assert.deepEqual(
    gateways[0]!.headSeconds().find((l) => l.line === queue.name && l.of === 'waiting'),
    { line: queue.name, of: 'waiting', seconds: STALL / 1000 },
  );
  const mine = posts.filter((p) => p.body.alert._id === alert._id);
  assert.equal(mine.length, 1, 'delivered once');
  assert.equal(mine[0]?.key, alert._id);
  assert.match((mine[0]?.body as unknown as { text: string }).text, /nothing taken from .* \(3 waiting, the oldest first\)/);

  const worker = new Worker(queue.name, () => Promise.resolve('done'), { ...queueBase(redisOptions(config.redis)), concurrency: 1 });
  try {
    for (let i = 0; i < 100 && (await queue.getWaitingCount()) > 0; i++) await sleep(50);
    clock += 30_000;
    await checkAll();
    const [resolved] = await alertsOf('queue-stalled');
    assert.ok(resolved && 'resolvedAt' in resolved && resolved.resolvedAt instanceof Date, 'resolved once the jobs were taken');
    assert.equal(resolved.resolvedAt.getTime(), clock);
  } finally {
    await worker.close();
  }
});

test('a backlog that a worker is working through is no stall, however long it lasts', async () => {
  const queue = newQueue('busy');
  for (let i = 0; i < 12; i++) await queue.add('record', { i }, { jobId: `job-${i}` });
  const worker = new Worker(
    queue.name,
    async () => {
      await sleep(40);
    },
    { ...queueBase(redisOptions(config.redis)), concurrency: 1, autorun: false },
  );
  const gateway = watcher([queue.name]);
  const before = (await alertsOf('queue-stalled')).length;
  const hungBefore = (await alertsOf('job-hung')).length;
  void worker.run();
  try {
    // Ten minutes between checks by the watch's clock; a job or two taken between them in fact.
    for (let i = 0; i < 5; i++) {
      await gateway.check();
      clock += 2 * STALL;
      await sleep(100);
    }
    assert.equal((await alertsOf('queue-stalled')).length, before, 'no alert while jobs are taken');
    assert.equal((await alertsOf('job-hung')).length, hungBefore, 'no job runs for long');
  } finally {
    await worker.close();
  }
});

test('a job that never ends, while other slots keep the queue moving, raises one job-hung alert naming it, its worker and its start; resolved when it ends', async () => {
  const queue = newQueue('hung');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  // Two jobs hang (a call that never returns) in a live worker, which keeps renewing their
  // locks; its third slot takes every other job.
  const worker = new Worker(queue.name, async (job) => (job.id === 'stuck' || job.id === 'later' ? released : undefined), {
    ...workerBase(redisOptions(config.redis), 'test-service'),
    concurrency: 3,
  });
  const settled = async (what: string, done: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await done()); i++) await sleep(25);
    assert.ok(await done(), what);
  };
  try {
    const startedFrom = Date.now();
    await queue.add('record', {}, { jobId: 'stuck' });
    await settled('the first job runs', async () => (await queue.getActiveCount()) === 1);
    await sleep(20);
    await queue.add('record', {}, { jobId: 'later' });
    await settled('the second runs', async () => (await queue.getActiveCount()) === 2);
    const gateways = [watcher([queue.name]), watcher([queue.name])];
    const checkAll = () => Promise.all(gateways.map((g) => g.check()));
    await checkAll();
    for (let round = 0; round < 3; round++) {
      await queue.add('record', {}, { jobId: `quick-${round}` });
      await settled('quick jobs go through the free slot', async () => (await queue.getCompletedCount()) === round + 1);
      clock += STALL / 3 - 1;
      await checkAll();
    }
    assert.deepEqual(await alertsOf('job-hung'), [], 'not before the stall time');
    clock += 3;
    await checkAll();
    await checkAll();
    const [alert, ...more] = await alertsOf('job-hung');
    assert.equal(more.length, 0, 'one alert, for the job running longest, however many gateways see it');
    assert.ok(alert && alert.kind === 'job-hung');
    assert.equal(alert.queue, queue.name);
    assert.equal(alert.jobId, 'stuck', 'the job taken first');
    assert.equal(alert.worker, `test-service@${hostname()}:${process.pid}`, 'the worker running it');
    assert.ok(alert.startedAt && alert.startedAt.getTime() >= startedFrom && alert.startedAt.getTime() <= Date.now(), 'when it started');
    assert.equal(alert.running, 2);
    assert.equal(alert._id, `hung:${queue.name}:stuck:${alert.startedAt.getTime()}`);
    assert.ok(alert.delivered.webhook);
    const mine = posts.filter((p) => p.body.alert._id === alert._id);
    assert.equal(mine.length, 1, 'delivered once');
    assert.match((mine[0]?.body as unknown as { text: string }).text, /job stuck of .* has run since .* \(2 running\): job still running after 300 s in test-service@/);
    assert.deepEqual(
      (await alertsOf('queue-stalled')).filter((a) => a.queue === queue.name),
      [],
      'the queue itself moved',
    );
    assert.deepEqual(
      gateways[0]!.headSeconds().find((l) => l.line === queue.name && l.of === 'running'),
      { line: queue.name, of: 'running', seconds: STALL / 1000 },
    );

    release();
    await settled('both end', async () => (await queue.getActiveCount()) === 0);
    clock += 30_000;
    await checkAll();
    const [resolved] = await alertsOf('job-hung');
    assert.ok(resolved && 'resolvedAt' in resolved && resolved.resolvedAt instanceof Date, 'resolved once it ended');
    assert.equal(resolved.resolvedAt.getTime(), clock);
    assert.equal((await alertsOf('job-hung')).length, 1, 'the second hung job ended with it: no alert of its own');
  } finally {
    release();
    await worker.close();
  }
});

test('an outbox whose oldest hint stays raises an outbox alert; it is resolved once the relay takes it', async () => {
  const key = outboxHintKey(db.records);
  await redis.zadd(key, 1, 'rec-stuck', 2, 'rec-next');
  const gateway = watcher([]);
  await gateway.check();
  clock += STALL;
  await gateway.check();
  const [alert, ...more] = await alertsOf('outbox-stalled');
  assert.equal(more.length, 0);
  assert.ok(alert && alert.kind === 'outbox-stalled');
  assert.equal(alert.aggregateId, 'rec-stuck');
  assert.equal(alert.waiting, 2);
  assert.equal(alert.queue, `outbox ${config.mongo.dbName}.records`);
  assert.equal(posts.filter((p) => p.body.alert._id === alert._id).length, 1);

  await redis.zrem(key, 'rec-stuck');
  clock += 1_000;
  await gateway.check();
  const [resolved] = await alertsOf('outbox-stalled');
  assert.ok(resolved && 'resolvedAt' in resolved && resolved.resolvedAt, 'resolved once relayed');
});

test('an alert not written (MongoDB refused it) is tried again at the next check', async () => {
  const queue = newQueue('retry');
  await queue.add('record', {}, { jobId: 'lonely' });
  let refuse = true;
  const flaky = {
    records: db.records,
    alerts: new Proxy(db.alerts, {
      get(target, property, receiver) {
        if (property === 'insertOne' && refuse) return () => Promise.reject(new Error('not primary'));
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
  const gateway = new StallWatch(redis, flaky, { stallMs: STALL, checkMs: 60_000, queues: [queue.name], logger, channels: [], now: () => clock });
  await gateway.check();
  clock += STALL;
  await assert.rejects(gateway.check(), /stall alerts not written: not primary/);
  refuse = false;
  clock += 30_000;
  await gateway.check();
  const alerts = (await alertsOf('queue-stalled')).filter((a) => a.queue === queue.name);
  assert.equal(alerts.length, 1);
});
