/**
 * At most once per record, kind and recipient, in batches, against the real Redis and MongoDB
 * (a database and a queue of their own): concurrent enqueues share a job, each notification is
 * sent once, a failed send alone is retried, a send cut short is alerted once and never
 * repeated, and a job queued before batches is still delivered.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, mock, test } from 'node:test';
import { createLogger, createMongo, createRegistry, redisOptions, storeConfigFrom, storeEnvSchema, type AlertDocument, type RecordDocument } from '@steadfast/commons';
import type { Notification, NotificationAdapter } from './adapters.js';
import { batchJobId } from './batch.js';
import { workflowMetrics } from '../metrics.js';
import { notificationFor, Notifications, type NotificationDocument, type NotificationSettings } from './notifications.js';

const config = storeConfigFrom(storeEnvSchema.parse(process.env));
const mongo = createMongo(config.mongo);
const db = mongo.db(`notify_test_${randomBytes(4).toString('hex')}`);
const opened: Notifications[] = [];
const claims = db.collection<NotificationDocument>('notifications');
const alerts = db.collection<AlertDocument>('alerts');

after(async () => {
  await Promise.all(opened.map(async (n) => {
    await n.close();
    await n.queue.obliterate({ force: true }).catch(() => undefined);
  }));
  await db.dropDatabase();
  await mongo.close();
});

function notifier(adapter: NotificationAdapter, settings: Partial<NotificationSettings> = {}): Notifications {
  const n = new Notifications(redisOptions(config.redis), `notify-test-${randomUUID()}`, db, adapter, createLogger('t', { level: 'silent' }), settings);
  opened.push(n);
  return n;
}

/** An adapter that records what it sent, may fail some sends, and measures sends in flight. */
function recording(fail: (n: Notification) => boolean = () => false, delayMs = 0) {
  const sent: Notification[] = [];
  const tried: Notification[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const adapter: NotificationAdapter = {
    async send(x) {
      tried.push(x);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (delayMs > 0) await sleep(delayMs);
        if (fail(x)) throw new Error('provider down');
        sent.push(x);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { adapter, sent, tried, maxInFlight: () => maxInFlight };
}

const recordWith = (phone: string): RecordDocument =>
  ({ _id: randomUUID(), event: 'birth', trackingId: 'B123456789', data: { registration: { contact: { phone } } } }) as unknown as RecordDocument;
const record = recordWith('+254700000001');

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

const countOf = (sent: readonly Notification[]) => {
  const counts = new Map<string, number>();
  for (const x of sent) counts.set(x.id, (counts.get(x.id) ?? 0) + 1);
  return counts;
};

test('40 records notified concurrently: a few jobs, each notification sent exactly once, sends bounded', async () => {
  const { adapter, sent, maxInFlight } = recording(undefined, 5);
  const metrics = workflowMetrics(createRegistry('test'));
  const n = notifier(adapter, { maxSize: 16, maxWaitMs: 20, sendConcurrency: 3, batchSize: metrics.batchSize });
  const records = Array.from({ length: 40 }, (_unused, i) => recordWith(`+2547000${String(i).padStart(5, '0')}`));
  await Promise.all(records.map((r) => n.enqueue(r, 'declared')));
  // Each enqueue returned only once its job was in Redis.
  const jobs = await n.queue.getJobs(['waiting']);
  assert.ok(jobs.length >= 3 && jobs.length <= 6, `40 notifications in ${jobs.length} jobs (at most 16 each)`);
  const listed = jobs.flatMap((j) => (j.data as { notifications: Notification[] }).notifications.map((x) => x.id));
  assert.equal(new Set(listed).size, 40, 'every notification is in a job');
  assert.equal(listed.length, 40, 'and in one only');
  for (const job of jobs) assert.equal(job.id, batchJobId((job.data as { notifications: Notification[] }).notifications), 'the job id is the batch\'s');
  // The same record enqueued again while its job is kept: no new notification is sent.
  await Promise.all(records.slice(0, 10).map((r) => n.enqueue(r, 'declared')));

  // The statements the outcome writes send (bulkWrite's operations on this test's collection).
  const outcomeStatements: number[] = [];
  const collections = Object.getPrototypeOf(claims) as typeof claims;
  const bulkWrite = Object.getOwnPropertyDescriptor(collections, 'bulkWrite')!.value as typeof claims.bulkWrite;
  const spy = mock.method(collections, 'bulkWrite', function (this: typeof claims, ...args: Parameters<typeof bulkWrite>) {
    const updates = args[0].filter((op) => 'updateOne' in op || 'updateMany' in op).length;
    if (this.dbName === db.databaseName && this.collectionName === 'notifications') outcomeStatements.push(updates);
    return bulkWrite.apply(this, args);
  });
  after(() => spy.mock.restore());
  n.start(2);
  await until('every notification is sent', async () => sent.length >= 40 && (await n.queue.getJobCountByTypes('waiting', 'active', 'delayed')) === 0);
  await sleep(200);
  const counts = countOf(sent);
  assert.equal(counts.size, 40);
  assert.ok([...counts.values()].every((c) => c === 1), 'each sent exactly once');
  assert.ok(maxInFlight() <= 3 * 2, `at most NOTIFICATION_SEND_CONCURRENCY per job in flight (${maxInFlight()})`);
  assert.equal(await claims.countDocuments({ _id: { $in: [...counts.keys()] }, status: 'sent' }), 40);

  const { values } = await metrics.batchSize.get();
  const total = (op: string, what: 'count' | 'sum') => values.find((v) => v.metricName === `steadfast_batch_size_${what}` && v.labels['op'] === op)?.value ?? 0;
  assert.equal(total('add-notifications', 'sum'), 50, 'every enqueue went through the batch');
  assert.ok(total('add-notifications', 'count') <= 10, `${total('add-notifications', 'count')} job adds for 50 enqueues`);
  assert.ok(total('insert-notifications', 'sum') >= 40, 'claims are batched');
  assert.ok(total('insert-notifications', 'count') < 20, `${total('insert-notifications', 'count')} claim inserts for 40`);
  assert.ok(total('write-notifications', 'count') < 20, `${total('write-notifications', 'count')} outcome writes for 40`);
  assert.equal(total('write-notifications', 'sum'), 40, 'the outcome writes report the documents they write');
  // A job's sent notifications are one statement (updateMany), not one each.
  const statements = outcomeStatements.reduce((sum, count) => sum + count, 0);
  assert.ok(statements <= jobs.length, `${statements} outcome statements for ${jobs.length} jobs`);
});

test('a send that fails for one recipient: the job fails, and its retry sends only that one', async () => {
  let providerDown = true;
  const { adapter, sent, tried } = recording((x) => providerDown && x.to === '+254711111111');
  const n = notifier(adapter);
  const list = ['+254711111111', '+254722222222', '+254733333333'].map((to) => notificationFor(recordWith(to), 'declared')!);
  const job = { id: batchJobId(list), data: { notifications: list }, attemptsMade: 0 };
  await assert.rejects(n.process(job), /1 of 3 notifications failed .*provider down/);
  assert.equal(sent.length, 2);
  assert.equal((await claims.findOne({ _id: list[0]!.id }))?.status, 'failed', 'the failed send released its claim');

  providerDown = false;
  assert.deepEqual(await n.process({ ...job, attemptsMade: 1 }), { sent: 1, skipped: 2, unknown: 0, failed: 0 });
  assert.equal(tried.length, 4, 'the retry tried only the one that failed');
  assert.deepEqual([...countOf(sent).values()], [1, 1, 1]);
  assert.equal(await alerts.countDocuments({ _id: { $in: list.map((x) => `notification:${x.id}`) } }), 0, 'a send that failed and was retried raises no alert');

  // Through the worker: a job that failed an attempt is retried with its backoff.
  let down = true;
  const second = recording((x) => down && x.to === '+254744444444');
  const w = notifier(second.adapter);
  w.start();
  await Promise.all(['+254744444444', '+254755555555'].map((to) => w.enqueue(recordWith(to), 'registered')));
  await until('the first attempt failed', () => Promise.resolve(second.tried.length >= 2));
  down = false;
  await until('the retry sent the failed one', () => Promise.resolve(second.sent.length >= 2));
  await sleep(200);
  assert.deepEqual([...countOf(second.sent).values()], [1, 1]);
  assert.equal(second.tried.length, 3);
});

test('a send cut short raises one alert and is never sent again; the same notification in a live job is no alert', async () => {
  const { adapter, sent } = recording();
  const n = notifier(adapter);
  const cut = notificationFor(recordWith('+254766666666'), 'registered')!;
  const fine = notificationFor(recordWith('+254777777777'), 'registered')!;
  const jobId = batchJobId([cut, fine]);
  // The job's earlier attempt claimed `cut` and stopped mid-send (SIGKILL).
  await claims.insertOne({ _id: cut.id, recordId: cut.recordId, kind: cut.kind, channel: cut.channel, status: 'sending', jobId, claimId: 'killed', createdAt: new Date() });
  const job = { id: jobId, data: { notifications: [cut, fine] }, attemptsMade: 1 };
  assert.deepEqual(await n.process(job), { sent: 1, skipped: 0, unknown: 1, failed: 0 });
  assert.deepEqual(await n.process({ ...job, attemptsMade: 2 }), { sent: 0, skipped: 1, unknown: 1, failed: 0 });
  assert.deepEqual(sent.map((x) => x.id), [fine.id], 'the cut one is never sent again');
  const raised = await alerts.find({ kind: 'notification-unknown', notificationId: cut.id }).toArray();
  assert.equal(raised.length, 1, 'one alert however often the unknown send is met');
  const alert = raised[0]!;
  assert.ok(alert.kind === 'notification-unknown');
  assert.equal(alert.recordId, cut.recordId);
  assert.equal(alert.channel, 'sms');
  assert.equal(alert.jobId, jobId, 'the alert names the batch job (the board links to it)');
  assert.doesNotMatch(JSON.stringify(alert), /\+254/, 'the alert holds no phone number');

  // A record job retried after a crash between its enqueue and its mark: its notification is in
  // two batch jobs. While the job holding the claim is still queued (or running), the other skips it.
  const twice = notificationFor(recordWith('+254788888888'), 'declared')!;
  const holder = batchJobId([twice]);
  await n.queue.add('1 declared', { notifications: [twice] }, { jobId: holder });
  await claims.insertOne({ _id: twice.id, recordId: twice.recordId, kind: twice.kind, channel: twice.channel, status: 'sending', jobId: holder, claimId: 'live', createdAt: new Date() });
  const other = { id: batchJobId([twice, fine]), data: { notifications: [twice, fine] }, attemptsMade: 0 };
  assert.deepEqual(await n.process(other), { sent: 0, skipped: 2, unknown: 0, failed: 0 });
  assert.equal(await alerts.countDocuments({ notificationId: twice.id }), 0, 'no false alert while its holder will still run');
  // Its holder gone for good (removed) with the claim still `sending`: that one was cut short.
  await (await n.queue.getJob(holder))?.remove();
  assert.deepEqual(await n.process(other), { sent: 0, skipped: 1, unknown: 1, failed: 0 });
  assert.equal(await alerts.countDocuments({ notificationId: twice.id }), 1);
  assert.ok(!sent.some((x) => x.id === twice.id));
});

test('a job queued before batches (one notification, its id as job id) is still delivered, once', async () => {
  const { adapter, sent } = recording();
  const n = notifier(adapter);
  const legacy = notificationFor(record, 'declared')!;
  await n.queue.add('declared', legacy, { jobId: legacy.id, attempts: 20, backoff: { type: 'exponential', delay: 1_000 } });
  // A claim from before batches (no job id) left `sending` by a killed single job, whose job is gone.
  const older = notificationFor(recordWith('+254799999999'), 'declared')!;
  await claims.insertOne({ _id: older.id, recordId: older.recordId, kind: older.kind, channel: older.channel, status: 'sending', createdAt: new Date() });
  await n.queue.add('declared', older, { jobId: older.id });
  n.start();
  await until('both jobs ran', async () => (await n.queue.getJobCountByTypes('completed')) === 2);
  assert.deepEqual(sent.map((x) => x.id), [legacy.id]);
  assert.equal(((await n.queue.getJob(legacy.id))?.returnvalue as { sent?: number } | undefined)?.sent, 1);
  const alert = await alerts.findOne({ _id: `notification:${older.id}` });
  assert.ok(alert?.kind === 'notification-unknown' && alert.jobId === older.id, 'its own job found its claim cut short');
  // Neither a batch nor a notification: failed at once, never retried.
  const bad = await n.queue.add('junk', { hello: 'world' } as never, { jobId: 'junk', attempts: 5 });
  await until('the junk job failed', async () => (await bad.getState()) === 'failed');
  assert.equal((await n.queue.getJob('junk'))?.attemptsMade, 1);
});
